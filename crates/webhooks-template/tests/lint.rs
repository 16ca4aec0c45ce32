//! Lint through the public API: findings with their line and column, output checks per
//! encoding. (The client builders' lint before sending is tested with the client.)

mod samples;

use webhooks_template::{Encoding, Event, FindingKind, Template, lint};

use samples::*;

#[test]
fn both_sample_style_templates_lint_clean_for_their_events() {
    assert_eq!(
        lint(REPORT_TEMPLATE, &Event::DELIVERY_REPORTS, Encoding::Json)
            .into_iter()
            .filter(|f| f.kind != FindingKind::UnescapedValue
                && f.kind != FindingKind::VelocitySurprise)
            .collect::<Vec<_>>(),
        [],
        "metadata keys are not escaped in this style; values are"
    );
    let mut findings = lint(REPLY_TEMPLATE, &Event::INBOUND, Encoding::Json);
    // Where Velocity 1.7 surprises: the indented directives keep their blanks, and an empty
    // attachment list is true (an MMS without attachments gets `"attachments": [ ]`).
    let surprises: Vec<_> = findings
        .iter()
        .filter(|f| f.kind == FindingKind::VelocitySurprise)
        .map(|f| (f.line, f.column))
        .collect();
    assert_eq!(surprises, [(8, 1), (8, 8)], "{findings:#?}");
    findings.retain(|f| f.kind != FindingKind::VelocitySurprise);
    // `$attachments` is tested in the #if, so RECEIVED_SMS is fine. What the sample style
    // leaves unescaped is found: the file name (MMS) and the metadata values (SMS).
    let found: Vec<_> = findings
        .iter()
        .map(|f| (f.kind, f.line, f.column, f.events.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (
                FindingKind::UnescapedValue,
                11,
                68,
                vec![Event::ReceivedMms]
            ),
            (
                FindingKind::UnescapedValue,
                19,
                19,
                vec![Event::ReceivedSms]
            ),
        ],
        "{findings:#?}"
    );
    let line_11 = REPLY_TEMPLATE.lines().nth(10).unwrap();
    assert!(line_11[67..].starts_with("$item.originalName"));
    assert!(
        findings[0].message.contains("$esc.json"),
        "{}",
        findings[0].message
    );
}

/// A broken template, the events it is for, and the finding expected: kind, (line, column),
/// words of its message.
type BrokenCase = (
    &'static str,
    &'static [Event],
    FindingKind,
    (usize, usize),
    &'static str,
);

#[test]
fn broken_templates_give_findings_at_their_line_and_column() {
    const SMS: &[Event] = &[Event::ReceivedSms];
    let sms = SMS;
    let cases: Vec<BrokenCase> = vec![
        (
            "{\"a\": \"x\"}\n#if($status)\n",
            sms,
            FindingKind::Syntax,
            (2, 1),
            "#if is never closed",
        ),
        (
            "ok\n  #end",
            sms,
            FindingKind::Syntax,
            (2, 3),
            "#end without",
        ),
        ("#else", sms, FindingKind::Syntax, (1, 1), "#else without"),
        (
            "#if(true)#else#else#end",
            sms,
            FindingKind::Syntax,
            (1, 15),
            "a second #else",
        ),
        (
            "#if(true)#else#elseif(true)#end",
            sms,
            FindingKind::Syntax,
            (1, 15),
            "#elseif after #else",
        ),
        (
            "#if $status)#end",
            sms,
            FindingKind::Syntax,
            (1, 5),
            "expected `(` after #if",
        ),
        (
            "x\n#if($status",
            sms,
            FindingKind::Syntax,
            (2, 1),
            "never closed",
        ),
        (
            "#if($a + 1)#end",
            sms,
            FindingKind::Syntax,
            (1, 8),
            "arithmetic",
        ),
        (
            "#foreach($x of $metadata)#end",
            sms,
            FindingKind::Syntax,
            (1, 13),
            "expected `in`",
        ),
        (
            "#foreach($x in [1, 2])#end",
            sms,
            FindingKind::Syntax,
            (1, 16),
            "iterates over a reference",
        ),
        (
            "#foreach($k in $metadata.keySet())",
            sms,
            FindingKind::Syntax,
            (1, 1),
            "#foreach is never closed",
        ),
        (
            "a\n\tb ${status",
            sms,
            FindingKind::Syntax,
            (2, 4),
            "`${` is never closed",
        ),
        (
            "$metadata.get('k'",
            sms,
            FindingKind::Syntax,
            (1, 14),
            "never closed",
        ),
        (
            "$metadata.get('k)",
            sms,
            FindingKind::Syntax,
            (1, 15),
            "string is never closed",
        ),
        (
            "é\n #* open",
            sms,
            FindingKind::Syntax,
            (2, 2),
            "#* comment is never closed",
        ),
        (
            "#set($x 1)",
            sms,
            FindingKind::Syntax,
            (1, 9),
            "expected `=`",
        ),
        (
            "{\"id\": \"$drId\"}",
            sms,
            FindingKind::UnavailableVariable,
            (1, 9),
            "not available for RECEIVED_SMS",
        ),
        (
            "{\n \"id\": \"$replyId\"}",
            &[Event::OptOutSms],
            FindingKind::UnavailableVariable,
            (2, 9),
            "renders as the text `$replyId`",
        ),
        (
            "$!attachments",
            &[Event::ReceivedMms, Event::DeliveredDr],
            FindingKind::UnavailableVariable,
            (1, 1),
            "DELIVERED_DR: there it renders nothing",
        ),
        (
            "#foreach($a in $attachments)#end",
            sms,
            FindingKind::UnavailableVariable,
            (1, 16),
            "$attachments",
        ),
        (
            "x $mesageId",
            sms,
            FindingKind::UnknownVariable,
            (1, 3),
            "did you mean `$messageId`",
        ),
        (
            "$MessageID",
            sms,
            FindingKind::UnknownVariable,
            (1, 1),
            "did you mean `$messageId`",
        ),
        (
            "$velocityHasNext",
            sms,
            FindingKind::UnknownVariable,
            (1, 1),
            "only inside #foreach",
        ),
        (
            "$type",
            sms,
            FindingKind::DeprecatedVariable,
            (1, 1),
            "use `$format`",
        ),
        (
            "$metadata.gett('k')",
            sms,
            FindingKind::UnknownMember,
            (1, 10),
            "`.gett` is no method of the metadata map",
        ),
        (
            "#foreach($e in $metadata.entrySet())$e.name#end",
            sms,
            FindingKind::UnknownMember,
            (1, 39),
            "`.name` is no property of a map entry",
        ),
        (
            "$esc.jsn($moContent)",
            sms,
            FindingKind::UnknownMember,
            (1, 5),
            "$esc",
        ),
        (
            "#foreach($c in $moContent)#end",
            sms,
            FindingKind::NotIterable,
            (1, 16),
            "the loop never runs",
        ),
        (
            "a #include('x.vm')",
            sms,
            FindingKind::UnsupportedDirective,
            (1, 3),
            "`#include` is not run",
        ),
        (
            "{\"a\": \"$replyId\",}",
            sms,
            FindingKind::InvalidOutput,
            (1, 18),
            "invalid here",
        ),
        (
            "{\"a\": $replyId}",
            sms,
            FindingKind::InvalidOutput,
            (1, 7),
            "RECEIVED_SMS",
        ),
        (
            "{\n  \"text\": \"$moContent\"\n}",
            sms,
            FindingKind::UnescapedValue,
            (2, 12),
            "$esc.json(..)",
        ),
    ];
    for (source, events, kind, (line, column), words) in cases {
        let findings = lint(source, events, Encoding::Json);
        let finding = findings
            .iter()
            .find(|f| f.kind == kind)
            .unwrap_or_else(|| panic!("{source:?}: no {kind:?} in {findings:#?}"));
        assert_eq!(
            (finding.line, finding.column),
            (line, column),
            "{source:?}: {finding}"
        );
        assert!(
            finding.message.contains(words),
            "{source:?}: {:?} lacks {words:?}",
            finding.message
        );
        if kind == FindingKind::Syntax {
            assert_eq!(findings.len(), 1, "a syntax error stops the lint");
            let err = Template::parse(source).unwrap_err();
            assert_eq!((err.line(), err.column()), (line, column));
            assert_eq!(
                err.to_string(),
                format!("line {line}, column {column}: {}", err.message())
            );
        }
    }
}

#[test]
fn lint_checks_form_and_xml_output() {
    let sms = [Event::ReceivedSms];
    let form = lint("id=$replyId&text=$moContent", &sms, Encoding::FormEncoded);
    assert_eq!(form.len(), 1, "{form:#?}");
    assert_eq!(form[0].kind, FindingKind::UnescapedValue);
    assert_eq!(form[0].column, 18);
    assert!(
        lint(
            "id=$replyId&text=$esc.url($moContent)",
            &sms,
            Encoding::FormEncoded
        )
        .is_empty()
    );

    let xml = lint("<r><t>$moContent</t></r>", &sms, Encoding::Xml);
    assert_eq!(xml.len(), 1, "{xml:#?}");
    assert_eq!(
        (xml[0].kind, xml[0].column),
        (FindingKind::UnescapedValue, 7)
    );
    assert!(lint("<r><t>$esc.xml($moContent)</t></r>", &sms, Encoding::Xml).is_empty());
    let broken = lint("<r><t>$replyId</r>", &sms, Encoding::Xml);
    assert_eq!(broken[0].kind, FindingKind::InvalidOutput);
    assert_eq!(broken[0].column, 17);
}

#[test]
fn lint_groups_events_with_the_same_fault() {
    let findings = lint(
        "{\"a\": \"$drId\" \"b\"}",
        &[Event::DeliveredDr, Event::FailedDr, Event::DeliveredDr],
        Encoding::Json,
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].events, [Event::DeliveredDr, Event::FailedDr]);
    assert!(findings[0].message.contains("DELIVERED_DR, FAILED_DR"));
}

#[test]
fn a_line_comment_after_a_foreach_is_a_velocity_surprise_and_one_before_is_not() {
    let surprises = |template: &str| -> Vec<(usize, usize)> {
        lint(template, &[Event::ReceivedSms], Encoding::Json)
            .into_iter()
            .filter(|f| f.kind == FindingKind::VelocitySurprise)
            .map(|f| (f.line, f.column))
            .collect()
    };
    assert_eq!(
        surprises("## before\n#foreach($k in $metadata.keySet())$k#end\n"),
        []
    );
    assert_eq!(
        surprises("#foreach($k in $metadata.keySet())$k#end\n## after\n"),
        [(2, 1)]
    );
}

#[test]
fn a_render_failure_that_depends_on_the_data_does_not_hide_another_events_fault() {
    // RECEIVED_MMS: `.get(9)` past the end of its attachments stops the render (Velocity 1.7
    // renders nothing). DELIVERED_DR has no attachments, renders, and writes `delivered`
    // unquoted: invalid JSON. Only budget failures stop the linter rendering the next event.
    let template = r#"{"s": $status#if($attachments)$attachments.get(9)#end}"#;
    let findings = lint(
        template,
        &[Event::ReceivedMms, Event::DeliveredDr],
        Encoding::Json,
    );
    let stopped: Vec<_> = findings
        .iter()
        .filter(|f| f.message.contains("past the end of the list"))
        .map(|f| f.events.clone())
        .collect();
    assert_eq!(stopped, [vec![Event::ReceivedMms]], "{findings:#?}");
    assert!(
        findings.iter().any(|f| f.kind == FindingKind::InvalidOutput
            && f.events == [Event::DeliveredDr]
            && !f.message.contains("render stops")),
        "{findings:#?}"
    );
}
