//! Untrusted templates cost bounded work: parsing and linting are linear in the template's
//! size, nesting has a limit, and a render that would run away ends in a typed error within
//! the output and step budgets (issue 13, section 1: the bombs that hung or aborted).

use webhooks_template::{Encoding, Event};
use webhooks_template::{
    EventData, FindingKind, MAX_NESTING, MAX_OUTPUT_BYTES, RenderErrorKind, Template, lint,
};

/// `depth` loops over the metadata keys, nested, around `body`.
fn nested_loops(depth: usize, body: &str) -> String {
    let mut source = String::new();
    for level in 0..depth {
        source.push_str(&format!("#foreach($k{level} in $metadata.keySet())"));
    }
    source.push_str(body);
    source.push_str(&"#end".repeat(depth));
    source
}

fn sms_with_metadata(entries: usize) -> EventData {
    let mut data = EventData::sample(Event::ReceivedSms, "acct");
    for i in 0..entries {
        data.metadata.insert(format!("k{i}"), format!("v{i}"));
    }
    data
}

#[test]
fn forty_nested_loops_in_one_and_a_half_kilobytes_parse_and_stop_rendering_with_a_typed_error() {
    let source = nested_loops(40, "");
    assert!(source.len() <= 1_700, "the issue's size: {}", source.len());
    let template = Template::parse(&source).expect("40 levels are within the nesting limit");
    let err = template
        .render(&EventData::sample(Event::ReceivedSms, "acct"))
        .unwrap_err();
    assert_eq!(err.kind(), RenderErrorKind::TooManySteps, "{err}");
}

#[test]
fn linting_forty_nested_loops_reports_that_the_render_stops() {
    let source = nested_loops(40, "x");
    let events = [Event::ReceivedSms, Event::ReceivedMms, Event::DeliveredDr];
    let findings = lint(&source, &events, Encoding::Json);
    assert!(
        findings
            .iter()
            .any(|f| f.kind == FindingKind::InvalidOutput && f.message.contains("render stops")),
        "{findings:?}"
    );
}

#[test]
fn a_hundred_kilobyte_template_with_sixteen_nested_loops_stops_at_the_output_limit() {
    let body = "x".repeat(100 * 1024);
    let template = Template::parse(&nested_loops(16, &body)).unwrap();
    let mut out = String::new();
    let err = template
        .render_into(&EventData::sample(Event::ReceivedSms, "acct"), &mut out)
        .unwrap_err();
    assert_eq!(err.kind(), RenderErrorKind::OutputTooLarge, "{err}");
    assert!(
        out.len() <= MAX_OUTPUT_BYTES + body.len(),
        "memory stays within the cap: {} bytes",
        out.len()
    );
    assert!(
        out.capacity() <= 4 * MAX_OUTPUT_BYTES,
        "no huge pre-allocation"
    );
}

#[test]
fn a_76_byte_template_with_two_loops_over_15000_metadata_entries_ends_in_a_typed_error() {
    let source = "#foreach($a in $metadata.keySet())#foreach($b in $metadata.keySet())$a#end#end";
    assert!(source.len() <= 80);
    let template = Template::parse(source).unwrap();
    let err = template.render(&sms_with_metadata(15_000)).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            RenderErrorKind::OutputTooLarge | RenderErrorKind::TooManySteps
        ),
        "{err}"
    );
    assert_eq!((err.line(), err.column()), (1, 35), "the inner loop: {err}");
}

#[test]
fn loops_that_write_nothing_still_stop_at_the_step_budget() {
    let source = "#foreach($a in $metadata)#foreach($b in $metadata)#end#end";
    let err = Template::parse(source)
        .unwrap()
        .render(&sms_with_metadata(15_000))
        .unwrap_err();
    assert_eq!(err.kind(), RenderErrorKind::TooManySteps, "{err}");
}

#[test]
fn a_loop_over_15000_metadata_entries_renders_within_the_budgets() {
    let source = "#foreach($e in $metadata.entrySet())$e.key=$e.value;#end";
    let out = Template::parse(source)
        .unwrap()
        .render(&sms_with_metadata(15_000))
        .unwrap();
    assert!(out.contains("k14999=v14999;"));
}

#[test]
fn nesting_beyond_the_limit_is_a_syntax_error_not_a_stack_overflow() {
    let err = Template::parse(&nested_loops(MAX_NESTING + 1, "x")).unwrap_err();
    assert!(err.message().contains("nested more than"), "{err}");
    let parens = format!("#if({}$x{})#end", "(".repeat(10_000), ")".repeat(10_000));
    assert!(Template::parse(&parens).is_err());
}

#[test]
fn a_long_line_of_many_directives_parses() {
    let source = "#if($moContent)a#end ".repeat(20_000);
    let template = Template::parse(&source).unwrap();
    let out = template
        .render(&EventData::sample(Event::ReceivedSms, "acct"))
        .unwrap();
    assert_eq!(out.len(), "a ".len() * 20_000);
}
