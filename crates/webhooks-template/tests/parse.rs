//! Parsing through the public API: the variables a template uses, and a parser (and
//! renderer) that never panics on arbitrary input.

mod samples;

use webhooks_template::{Encoding, Event};
use webhooks_template::{EventData, Template, lint};

use samples::*;

#[test]
fn templates_report_the_variables_they_use() {
    let template = Template::parse(REPORT_TEMPLATE).unwrap();
    let names: Vec<&str> = template.variables().iter().map(|v| v.name()).collect();
    assert_eq!(
        names,
        [
            "reportId",
            "sourceAddress",
            "receivedTimestamp",
            "status",
            "submittedTimestamp",
            "messageId",
            "messageContent",
            "vendorId",
            "accountId",
            "statusCode",
            "metadata"
        ]
    );
}

/// A tiny deterministic generator, so the fuzz loop is reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

#[test]
fn the_parser_never_panics_on_arbitrary_input() {
    const PIECES: [&str; 44] = [
        "$",
        "$!",
        "${",
        "}",
        "{",
        "(",
        ")",
        "#",
        "##",
        "#*",
        "*#",
        "#[[",
        "]]#",
        "#if",
        "#if(",
        "#elseif(",
        "#else",
        "#end",
        "#{end}",
        "#foreach(",
        "#set(",
        " in ",
        "$metadata",
        ".get(",
        ".keySet()",
        ".entrySet()",
        "$e",
        ".key",
        "$attachments",
        "$foreach.hasNext",
        "$velocityHasNext",
        "$esc.json(",
        "'",
        "\"",
        "\\",
        "\n",
        " ",
        "==",
        "&&",
        "!",
        "1",
        "é",
        "😀",
        "$moContent",
    ];
    let samples = [REPLY_TEMPLATE, REPORT_TEMPLATE];
    let events = [Event::ReceivedMms, Event::DeliveredDr, Event::OptOutSms];
    let data: Vec<EventData> = events
        .iter()
        .map(|&e| EventData::sample(e, "acct"))
        .collect();
    let exercise = |source: &str| {
        if let Ok(template) = Template::parse(source) {
            for data in &data {
                let _ = template.render(data);
            }
        }
        lint(source, &events, Encoding::Json);
    };
    // Every prefix of the sample-style templates.
    for sample in samples {
        for (i, _) in sample.char_indices() {
            exercise(&sample[..i]);
        }
    }
    // Random sequences of the pieces templates are made of, and samples with pieces spliced in.
    let mut random = Lcg(0x5eed);
    for round in 0..1500 {
        let mut source = String::new();
        if round % 3 == 0 {
            let sample = samples[random.next(samples.len())];
            let cut: Vec<usize> = sample.char_indices().map(|(i, _)| i).collect();
            let at = cut[random.next(cut.len())];
            source.push_str(&sample[..at]);
            source.push_str(PIECES[random.next(PIECES.len())]);
            source.push_str(&sample[at..]);
        } else {
            for _ in 0..random.next(24) + 1 {
                source.push_str(PIECES[random.next(PIECES.len())]);
            }
        }
        exercise(&source);
    }
    // Deep nesting is an error, not a stack overflow.
    let deep = "#if(true)".repeat(10_000);
    assert!(
        Template::parse(&deep)
            .unwrap_err()
            .message()
            .contains("nested")
    );
    let parens = format!("#if({}true{})#end", "(".repeat(10_000), ")".repeat(10_000));
    assert!(Template::parse(&parens).is_err());
    let calls = format!("{}1{}", "$esc.json(".repeat(10_000), ")".repeat(10_000));
    assert!(Template::parse(&calls).is_err());
}

// Strict mode against a scripted server that records every request.
