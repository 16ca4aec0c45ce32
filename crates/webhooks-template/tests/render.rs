//! Rendering through the public API: templates written like the vendor's samples, Velocity
//! behaviour, escaping, the default templates and event data from simulated fields.

mod samples;

use serde_json::json;
use webhooks_template::{Encoding, Event};
use webhooks_template::{EventAttachment, EventData, Template, default_template, lint, render};

use samples::*;

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
