//! The template toolkit through the public API: rendering templates written like the vendor's
//! samples, Velocity behaviour, escaping, the builder, the default templates, lint, the
//! builders' strict mode, and a parser that never panics.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use webhooks_ergonomic::callbacks::template::{
    EventAttachment, EventData, FindingKind, Template, Var, default_template, lint, render,
};
use webhooks_ergonomic::{Client, Encoding, Error, Event};

/// Written with every construct of the vendor's replies/MMS sample: `#if ($attachments)` with
/// a space, `#foreach ($x in $attachments)` with `.contentType`/`.base64`/`.originalName`,
/// `#if( $foreach.hasNext )`, `#else`, `$esc.json($moContent)`, `entrySet()` with
/// `.key`/`.value`.
const REPLY_TEMPLATE: &str = r##"{
  "account": "$accountId",
  "reply": "$replyId",
  "to": "$destinationAddress",
  "from": "$sourceAddress",
  "received": "$receivedTimestamp",
  "original_message": "$messageId",
  #if ($attachments)
  "media": [
    #foreach ($item in $attachments)
    {"type": "$item.contentType", "data": "$item.base64", "name": "$item.originalName"}#if( $foreach.hasNext ),#end
    #end
  ],
  #else
  "text": "$esc.json($moContent)",
  #end
  "meta": {
    #foreach ($pair in $metadata.entrySet())
    "$pair.key": "$pair.value"#if( $foreach.hasNext ),#end
    #end
  }
}"##;

/// Written with every construct of the vendor's delivery-report sample: `$esc.json($!mtContent)`,
/// `#foreach($k in $metadata.keySet())`, `$metadata.get($k)`, `#if( $velocityHasNext )`.
const REPORT_TEMPLATE: &str = r##"{"report": "$drId", "from": "$sourceAddress", "received": "$receivedTimestamp", "state": "$status", "delay": "0", "submitted": "$submittedTimestamp", "message": "$messageId", "text": "$esc.json($!mtContent)", "vendor": {"id": "$vendorId", "account": "$accountId"}, "code": "$statusCode", "meta": {#foreach($k in $metadata.keySet())"$k": "$esc.json($metadata.get($k))"#if( $velocityHasNext ),#end#end}}"##;

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|err| panic!("not JSON ({err}):\n{body}"))
}

fn data(event: Event) -> EventData {
    let mut data = EventData::sample(event, "DeveloperPortal7000");
    data.metadata = BTreeMap::from([
        ("campaign".to_owned(), "spring".to_owned()),
        ("order".to_owned(), "1234".to_owned()),
    ]);
    data
}

#[test]
fn the_reply_template_renders_json_with_the_values_for_sms_and_mms() {
    let template = Template::parse(REPLY_TEMPLATE).unwrap();

    let mut sms = data(Event::ReceivedSms);
    sms.reply_content = Some("Yes \"please\"\nthanks".to_owned());
    let body = json_of(&template.render(&sms).unwrap());
    assert_eq!(body["account"], "DeveloperPortal7000");
    assert_eq!(body["reply"], sms.reply_id.clone().unwrap());
    assert_eq!(body["to"], "+61491593156");
    assert_eq!(body["text"], "Yes \"please\"\nthanks");
    assert_eq!(body["meta"], json!({"campaign": "spring", "order": "1234"}));
    assert!(body.get("media").is_none());
    let received = sms.received_timestamp.unwrap();
    let received_text = body["received"].as_str().unwrap();
    assert_eq!(received_text.len(), "2016-12-07T08:43:00.850Z".len());
    assert_eq!(
        time::OffsetDateTime::parse(
            received_text,
            &time::format_description::well_known::Rfc3339
        )
        .unwrap(),
        received
    );

    let mut mms = data(Event::ReceivedMms);
    mms.attachments.push(EventAttachment {
        content_type: "text/plain".to_owned(),
        base64: "dGVzdA==".to_owned(),
        original_name: "note.txt".to_owned(),
    });
    let body = json_of(&template.render(&mms).unwrap());
    let media = body["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    assert_eq!(
        media[1],
        json!({"type": "text/plain", "data": "dGVzdA==", "name": "note.txt"})
    );
    assert!(body.get("text").is_none(), "the sample branches on media");

    // In Velocity 1.7 an empty list is true: no media still takes the media branch.
    mms.attachments.clear();
    let body = json_of(&template.render(&mms).unwrap());
    assert_eq!(body["media"], json!([]), "an empty list is true in 1.7");
    assert!(body.get("text").is_none());
}

#[test]
fn the_report_template_renders_json_with_the_values_for_every_delivery_report() {
    let template = Template::parse(REPORT_TEMPLATE).unwrap();
    for event in Event::DELIVERY_REPORTS {
        let mut data = data(event);
        data.message_content = Some("50% off \\o/ \"today\"".to_owned());
        data.metadata
            .insert("quote".to_owned(), "say \"hi\"".to_owned());
        let body = json_of(&template.render(&data).unwrap());
        assert_eq!(body["report"], data.report_id.clone().unwrap());
        assert_eq!(body["state"], data.status.clone().unwrap());
        assert_eq!(body["code"], data.status_code.unwrap().to_string());
        assert_eq!(body["text"], "50% off \\o/ \"today\"");
        assert_eq!(body["vendor"]["account"], "DeveloperPortal7000");
        assert_eq!(body["vendor"]["id"], "MessageMedia");
        assert_eq!(
            body["meta"],
            json!({"campaign": "spring", "order": "1234", "quote": "say \"hi\""})
        );
    }
    let failed = data(Event::FailedDr);
    assert_eq!(
        json_of(&template.render(&failed).unwrap())["state"],
        "failed",
        "each event has its own status"
    );
}

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

#[test]
fn unknown_and_unavailable_variables_render_as_their_source() {
    let sms = data(Event::ReceivedSms);
    let cases = [
        ("$nope", "$nope"),
        ("$!nope", ""),
        ("${nope}", "${nope}"),
        ("$!{nope}", ""),
        ("$nope.get('x')", "$nope.get('x')"),
        ("$drId", "$drId"),
        ("$!drId", ""),
        ("$metadata.get('missing')", "$metadata.get('missing')"),
        ("$!metadata.get('missing')", ""),
        ("$metadata.order", "1234"),
        ("$replyId.bogus", "$replyId.bogus"),
        ("$esc.json($!nope)", "$esc.json($!nope)"),
        ("$!esc.json($!nope)", ""),
        ("$foreach.hasNext", "$foreach.hasNext"),
        ("$5 and $ alone, a", "$5 and $ alone, a"),
        ("#fff #1 # #endif #elsewhere", "#fff #1 # #endif #elsewhere"),
        ("$sourceAddress.", "+61491570156."),
        ("$mtId()", &format!("{}()", sms.message_id.clone().unwrap())),
    ];
    for (source, expected) in cases {
        assert_eq!(render(source, &sms).unwrap(), expected, "{source}");
    }
    let opt_out = data(Event::OptOutSms);
    assert_eq!(
        render("$replyId/$moId", &opt_out).unwrap(),
        "$replyId/$moId"
    );
    assert_eq!(
        render("$notificationId", &opt_out).unwrap(),
        opt_out.notification_id.clone().unwrap()
    );
    let report = data(Event::DeliveredDr);
    assert_eq!(render("$attachments", &report).unwrap(), "$attachments");
    assert_eq!(
        render("$type/$format", &report).unwrap(),
        "SMS/SMS",
        "the deprecated alias still works"
    );
}

#[test]
fn aliases_and_formal_references_render_the_same_value() {
    let report = data(Event::DeliveredDr);
    for (a, b) in [
        ("$mtId", "$messageId"),
        ("$drId", "${reportId}"),
        ("$mtContent", "$!{messageContent}"),
    ] {
        assert_eq!(render(a, &report).unwrap(), render(b, &report).unwrap());
    }
    let reply = data(Event::ReceivedSms);
    assert_eq!(
        render("$moId|$moContent", &reply).unwrap(),
        render("$replyId|$replyContent", &reply).unwrap()
    );
    assert_eq!(
        render("${statusCode}x $retryCount $billingUnits", &report).unwrap(),
        "220x 0 1"
    );
}

#[test]
fn json_escaping_keeps_every_value_intact() {
    let values = [
        "plain",
        "double \"quotes\" and 'single'",
        "back\\slash \\\\ and \\\" mixed",
        "line\nbreak\r\nand\ttab",
        "controls \u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}",
        "unicode: ü ñ 日本語 😀 \u{2028}",
        "slash / and </script>",
        "",
    ];
    let template = Template::parse(
        r#"{"text": "$esc.json($moContent)", "meta": "$esc.json($metadata.get('k'))"}"#,
    )
    .unwrap();
    for value in values {
        let mut data = data(Event::ReceivedSms);
        data.reply_content = Some(value.to_owned());
        data.metadata.insert("k".to_owned(), value.to_owned());
        let body = template.render(&data).unwrap();
        assert!(body.is_ascii(), "escapeJson writes ASCII: {body}");
        let parsed = json_of(&body);
        assert_eq!(parsed["text"], value);
        assert_eq!(parsed["meta"], value);
    }
}

#[test]
fn conditions_loops_set_comments_and_escapes_behave_as_velocity() {
    let mut report = data(Event::FailedDr);
    report.status_code = Some(330);
    report.retry_count = 2;
    let cases = [
        (
            "#if($statusCode >= 400)high#elseif($statusCode == 330)mid#else low#end",
            "mid",
        ),
        ("#if($status == 'failed' && !$attachments)yes#end", "yes"),
        (
            "#if($status eq \"failed\" and not ($retryCount lt 2))ge2#end",
            "ge2",
        ),
        ("#if($retryCount > 1 || $nope)a#{else}b#{end}", "a"),
        ("#if($nope)a#elseif($!nope)b#end.", "."),
        ("#if($metadata.isEmpty())e#else$metadata.size()#end", "2"),
        ("#if($metadata.containsKey('order'))has#end", "has"),
        ("#if($statusCode == '330')string-equal#end", "string-equal"),
        (
            "#foreach($k in $metadata.keySet())$foreach.count:$k#if($foreach.hasNext),#end#end",
            "1:campaign,2:order",
        ),
        (
            "#foreach($e in $metadata.entrySet())[$velocityCount $e.key=$e.value $foreach.index $foreach.first $foreach.last]#end",
            "[1 campaign=spring 0 true false][2 order=1234 1 false true]",
        ),
        ("#foreach($v in $metadata)$v;#end", "spring;1234;"),
        ("#foreach($v in $metadata.values())$v;#end", "spring;1234;"),
        (
            "$metadata $metadata.keySet() $metadata.entrySet()",
            "{campaign=spring, order=1234} [campaign, order] [campaign=spring, order=1234]",
        ),
        ("#set($x = 'v')#set($n = 3)$x$n#if($n == 3)!#end", "v3!"),
        ("#set($s = $status)$s.isEmpty()", "false"),
        (
            "a## comment\nb#* block\ncomment *#c#[[$unparsed #if]]#d",
            "abc$unparsed #ifd",
        ),
        ("\\$status \\\\$status \\$nope", "$status \\failed \\$nope"),
        (
            "$esc.url($status) $esc.xml('<&>') $esc.java('a\"b')",
            "failed &lt;&amp;&gt; a\\\"b",
        ),
        ("#foreach($a in $status)x#end#foreach($a in $nope)y#end", ""),
    ];
    for (source, expected) in cases {
        assert_eq!(render(source, &report).unwrap(), expected, "{source}");
    }
}

#[test]
fn a_directive_takes_the_line_break_after_it_and_keeps_the_indentation_before_as_velocity_1_7() {
    let source = "{\n  #if($status)\n  \"a\": 1\n  #else\n  \"b\": 2\n  #end\n}\n  ## gone\n#set($x = 1)\nend";
    assert_eq!(
        render(source, &data(Event::DeliveredDr)).unwrap(),
        "{\n    \"a\": 1\n  }\n  end"
    );
    // Not alone: nothing is taken.
    assert_eq!(
        render("a #if(true)b#end c\n", &data(Event::DeliveredDr)).unwrap(),
        "a b c\n"
    );
}

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

fn form_pairs(body: &str) -> BTreeMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn the_builder_writes_escaped_templates_for_each_encoding() {
    let awkward = "A \"quoted\" \\ line\nbreak & <tag> $status #if é 😀";
    let build = |encoding| {
        Template::builder(encoding)
            .field("id", Var::ReplyId)
            .field("text", Var::ReplyContent)
            .field("$status #if", Var::Text(awkward))
            .field("order", Var::Metadata("order"))
            .field("missing", Var::Metadata("missing"))
            .field("report", Var::ReportId)
            .field("at", Var::ReceivedTimestamp)
            .optional_field("gone", Var::Metadata("missing"))
            .object("nested", |o| {
                o.field("retries", Var::RetryCount)
                    .field("meta", Var::MetadataMap)
            })
            .field("files", Var::Attachments)
            .build()
            .unwrap()
    };
    let mut mms = data(Event::ReceivedMms);
    mms.reply_content = Some(awkward.to_owned());
    mms.metadata
        .insert("we\"ird key".to_owned(), awkward.to_owned());
    mms.attachments[0].original_name = "a b&c.png".to_owned();

    let json = json_of(&build(Encoding::Json).render(&mms).unwrap());
    assert_eq!(json["id"], mms.reply_id.clone().unwrap());
    assert_eq!(json["text"], awkward);
    assert_eq!(json["$status #if"], awkward, "literal text stays literal");
    assert_eq!(json["order"], "1234");
    assert_eq!(json["missing"], "");
    assert_eq!(json["report"], "", "not available for RECEIVED_MMS: empty");
    assert!(json.get("gone").is_none());
    assert_eq!(json["nested"]["retries"], "0");
    assert_eq!(json["nested"]["meta"]["we\"ird key"], awkward);
    assert_eq!(json["files"][0]["original_name"], "a b&c.png");
    assert_eq!(json["files"][0]["content_type"], "image/png");

    let form = form_pairs(&build(Encoding::FormEncoded).render(&mms).unwrap());
    assert_eq!(form["text"], awkward);
    assert_eq!(form["$status #if"], awkward);
    assert_eq!(form["nested[meta][we\"ird key]"], awkward);
    assert_eq!(form["nested[meta][order]"], "1234");
    assert_eq!(form["files[0][original_name]"], "a b&c.png");
    assert_eq!(form["files[0][content]"], mms.attachments[0].base64);
    assert!(!form.contains_key("gone"));

    let xml_template = Template::builder(Encoding::Xml)
        .root("reply")
        .field("text", Var::ReplyContent)
        .field("note", Var::Text(awkward))
        .field("meta", Var::MetadataMap)
        .field("files", Var::Attachments)
        .build()
        .unwrap();
    let xml = xml_template.render(&mms).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<reply><text>A &quot;quoted&quot; \\ line\nbreak &amp; &lt;tag&gt; $status #if &#233; &#55357;&#56832;</text>"), "{xml}");
    assert!(xml.contains("<note>A &quot;quoted&quot; \\ line\nbreak &amp; &lt;tag&gt; &#36;status &#35;if &#233; &#55357;&#56832;</note>"), "{xml}");
    assert!(xml.contains("<entry key=\"we&quot;ird key\">"), "{xml}");
    assert!(
        xml.contains("<original_name>a b&amp;c.png</original_name>"),
        "{xml}"
    );
    assert!(xml.ends_with("</files></reply>"), "{xml}");

    for encoding in Encoding::ALL {
        let source = build_for_lint(encoding);
        let findings = lint(&source, &Event::ALL, encoding);
        assert!(
            findings
                .iter()
                .all(|f| f.kind == FindingKind::UnavailableVariable),
            "{encoding}: {findings:#?}"
        );
    }
}

fn build_for_lint(encoding: Encoding) -> String {
    let root = if encoding == Encoding::Xml {
        "r"
    } else {
        "callback"
    };
    Template::builder(encoding)
        .root(root)
        .field("text", Var::ReplyContent)
        .field("original", Var::MessageContent)
        .field("meta", Var::MetadataMap)
        .field("files", Var::Attachments)
        .field("order", Var::Metadata("order"))
        .source()
        .unwrap()
}

#[test]
fn the_builder_rejects_what_it_cannot_write() {
    let cases = [
        (Template::builder(Encoding::Json).field("", Var::Status), ""),
        (
            Template::builder(Encoding::Json)
                .field("a", Var::Status)
                .field("a", Var::StatusCode),
            "a",
        ),
        (
            Template::builder(Encoding::Json).optional_field("a", Var::Status),
            "a",
        ),
        (
            Template::builder(Encoding::Xml).field("1st", Var::Status),
            "1st",
        ),
        (
            Template::builder(Encoding::Xml).object("o", |o| o.field("a b", Var::Status)),
            "o.a b",
        ),
        (Template::builder(Encoding::Xml).root("<r>"), "<r>"),
        (
            Template::builder(Encoding::Json).field("m", Var::Metadata("it's")),
            "m",
        ),
    ];
    for (builder, field) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
}

#[test]
fn default_templates_render_the_documented_shapes() {
    let keys = |event| -> Vec<&'static str> {
        match event {
            Event::ReceivedSms => vec![
                "account_id",
                "content",
                "date_received",
                "destination_number",
                "message_id",
                "metadata",
                "reply_id",
                "source_number",
            ],
            Event::ReceivedMms => vec![
                "account_id",
                "attachments",
                "content",
                "date_received",
                "destination_number",
                "message_id",
                "metadata",
                "reply_id",
                "source_number",
            ],
            Event::OptOutSms => vec![
                "account_id",
                "content",
                "date_received",
                "destination_number",
                "message_id",
                "metadata",
                "notification_id",
                "source_number",
            ],
            _ => vec![
                "date_received",
                "delay",
                "delivery_report_id",
                "error_code",
                "message_id",
                "metadata",
                "original_text",
                "source_number",
                "status",
                "submitted_date",
                "vendor_account_id",
            ],
        }
    };
    for event in Event::ALL {
        let mut data = data(event);
        data.message_content = data.message_content.map(|_| "Hi \"there\"\n".to_owned());
        let template = default_template(event, Encoding::Json);
        let body = json_of(&template.render(&data).unwrap());
        let found: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(found, keys(event), "{event}");
        assert_eq!(
            body["metadata"],
            json!({"campaign": "spring", "order": "1234"})
        );
        assert_eq!(body["message_id"], data.message_id.clone().unwrap());
        if event.is_delivery_report() {
            assert_eq!(body["delay"], "0");
            assert_eq!(body["original_text"], "Hi \"there\"\n");
            assert_eq!(body["error_code"], data.status_code.unwrap().to_string());
            assert_eq!(
                body["vendor_account_id"],
                json!({"vendor_id": "MessageMedia", "account_id": "DeveloperPortal7000"})
            );
        }
        if event == Event::ReceivedMms {
            assert_eq!(
                body["attachments"][0]["content"],
                data.attachments[0].base64
            );
        }
        for encoding in Encoding::ALL {
            let findings = lint(
                default_template(event, encoding).source(),
                &[event],
                encoding,
            );
            assert_eq!(findings, [], "{event} {encoding}");
        }
        assert!(
            std::ptr::eq(template, default_template(event, Encoding::Json)),
            "parsed once"
        );
    }

    let mut unsolicited = data(Event::OptOutSms);
    unsolicited.message_id = None;
    let body = json_of(
        &default_template(Event::OptOutSms, Encoding::Json)
            .render(&unsolicited)
            .unwrap(),
    );
    assert!(body.get("message_id").is_none(), "may be absent");
    assert_eq!(body["content"], "STOP");

    let report = data(Event::ExpiredDr);
    let form = form_pairs(
        &default_template(Event::ExpiredDr, Encoding::FormEncoded)
            .render(&report)
            .unwrap(),
    );
    assert_eq!(form["status"], "expired");
    assert_eq!(form["vendor_account_id[account_id]"], "DeveloperPortal7000");
    assert_eq!(form["metadata[order]"], "1234");
    let xml = default_template(Event::ExpiredDr, Encoding::Xml)
        .render(&report)
        .unwrap();
    assert!(xml.contains("<status>expired</status>"), "{xml}");
    assert!(
        xml.contains("<vendor_account_id><vendor_id>MessageMedia</vendor_id>"),
        "{xml}"
    );
}

#[test]
fn event_data_from_fields_feeds_the_engine() {
    let fields = json!({
        "message_id": "877c19ef-fa2e-4cec-827a-e1df9b5509f7",
        "source_number": "+61400000000",
        "original_text": "Original",
        "status": "failed",
        "status_code": 330,
        "date_received": "2016-11-03T11:49:02.807Z",
        "metadata": {"myKey": "myValue"},
    });
    let data =
        EventData::from_fields("acct", Event::FailedDr, fields.as_object().unwrap()).unwrap();
    let body = json_of(
        &default_template(Event::FailedDr, Encoding::Json)
            .render(&data)
            .unwrap(),
    );
    assert_eq!(body["message_id"], "877c19ef-fa2e-4cec-827a-e1df9b5509f7");
    assert_eq!(body["error_code"], "330");
    assert_eq!(body["date_received"], "2016-11-03T11:49:02.807Z");
    assert_eq!(body["original_text"], "Original");
    assert_eq!(body["metadata"], json!({"myKey": "myValue"}));
    assert!(
        uuid::Uuid::parse_str(body["delivery_report_id"].as_str().unwrap()).is_ok(),
        "a missing id is generated"
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

struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Answers each request with the next of `bodies` (status `status`); 500 once they run out.
    async fn start(status: u16, bodies: Vec<String>) -> Recorder {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(VecDeque::from(bodies)));
        let record = Arc::clone(&seen);
        let app = axum::Router::new().fallback(move |body: String| {
            let record = Arc::clone(&record);
            let queue = Arc::clone(&queue);
            async move {
                record.lock().unwrap().push(body);
                match queue.lock().unwrap().pop_front() {
                    Some(body) => (
                        StatusCode::from_u16(status).unwrap(),
                        [("content-type", "application/json")],
                        body,
                    )
                        .into_response(),
                    None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Recorder { url, seen }
    }

    fn client(&self) -> Client {
        Client::builder()
            .base_url(&self.url)
            .credentials("key", "secret")
            .build()
            .unwrap()
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

const BAD: &str = "{\"id\": \"$drId\", \"text\": \"$moContent\"}";
const ID: &str = "76fa7010-8c1f-4a24-917a-4d62a54e744d";

fn webhook(template: &str) -> String {
    json!({
        "id": ID, "url": "https://example.com/hook", "method": "POST", "encoding": "JSON",
        "headers": {}, "events": ["RECEIVED_SMS"], "retries": 0, "template": template
    })
    .to_string()
}

#[tokio::test]
async fn strict_mode_turns_findings_into_a_validation_error_and_sends_nothing() {
    let server = Recorder::start(201, vec![webhook(BAD)]).await;
    let client = server.client();
    let err = client
        .webhooks()
        .create()
        .url("https://example.com/hook")
        .event(Event::ReceivedSms)
        .template(BAD)
        .strict_template(true)
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::Validation { field, reason } => {
            assert_eq!(field, "template");
            assert!(reason.contains("line 1, column 9"), "{reason}");
            assert!(reason.contains("$drId"), "{reason}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    let err = client
        .webhooks()
        .update(ID.parse().unwrap())
        .template("#if($status)")
        .strict_template(true)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Validation { field, reason } if field == "template" && reason.contains("never closed")),
        "{err:?}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn without_strict_mode_findings_come_back_with_the_webhook() {
    let server = Recorder::start(201, vec![webhook(BAD), webhook(BAD)]).await;
    let client = server.client();
    let (created, findings) = client
        .webhooks()
        .create()
        .url("https://example.com/hook")
        .event(Event::ReceivedSms)
        .template(BAD)
        .send_with_findings()
        .await
        .unwrap();
    assert_eq!(created.template.as_deref(), Some(BAD));
    let kinds: Vec<FindingKind> = findings.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::UnavailableVariable,
            FindingKind::UnescapedValue
        ]
    );
    let sent: Value = serde_json::from_str(&server.requests()[0]).unwrap();
    assert_eq!(sent["template"], BAD, "the template is sent as given");

    // `send` keeps returning just the webhook; a clean template has no findings.
    let builder = client
        .webhooks()
        .create()
        .url("https://example.com/hook")
        .event(Event::ReceivedSms)
        .template(default_template(Event::ReceivedSms, Encoding::Json));
    assert_eq!(builder.template_findings(), []);
    let webhook = builder.send().await.unwrap();
    assert_eq!(webhook.id.to_string(), ID);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_update_without_events_is_linted_only_for_what_holds_on_every_event() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials("key", "secret")
        .build()
        .unwrap();
    let id = ID.parse().unwrap();
    let kinds = |findings: Vec<webhooks_ergonomic::callbacks::template::Finding>| {
        findings.into_iter().map(|f| f.kind).collect::<Vec<_>>()
    };
    // `$drId` exists (for delivery reports) and `$moContent` is unescaped, but without the
    // events neither can be judged; an unknown variable can.
    let update = client
        .webhooks()
        .update(id)
        .template("{\"a\": \"$drId $moContent $nope\"}");
    assert_eq!(
        kinds(update.template_findings()),
        [FindingKind::UnknownVariable]
    );
    let update = update.events([Event::ReceivedSms]);
    assert_eq!(
        kinds(update.template_findings()),
        [
            FindingKind::UnavailableVariable,
            FindingKind::UnknownVariable
        ]
    );
    let update = update.encoding(Encoding::Json);
    assert_eq!(
        kinds(update.template_findings()),
        [
            FindingKind::UnavailableVariable,
            FindingKind::UnescapedValue,
            FindingKind::UnknownVariable
        ]
    );
}
