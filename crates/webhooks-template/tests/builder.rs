//! The template builder: correctly escaped templates for each encoding, and what it refuses.

mod samples;

use webhooks_template::{Encoding, Event};
use webhooks_template::{FindingKind, Template, Var, Variable, lint};

use samples::*;

#[test]
fn the_builder_writes_escaped_templates_for_each_encoding() {
    let awkward = "A \"quoted\" \\ line\nbreak & <tag> $status #if é 😀";
    let build = |encoding| {
        Template::builder(encoding)
            .field("id", Variable::ReplyId)
            .field("text", Variable::ReplyContent)
            .field("$status #if", Var::Text(awkward))
            .field("order", Var::Metadata("order"))
            .field("missing", Var::Metadata("missing"))
            .field("report", Variable::ReportId)
            .field("at", Variable::ReceivedTimestamp)
            .optional_field("gone", Var::Metadata("missing"))
            .object("nested", |o| {
                o.field("retries", Variable::RetryCount)
                    .field("meta", Variable::Metadata)
            })
            .field("files", Variable::Attachments)
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
        .field("text", Variable::ReplyContent)
        .field("note", Var::Text(awkward))
        .field("meta", Variable::Metadata)
        .field("files", Variable::Attachments)
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
        .field("text", Variable::ReplyContent)
        .field("original", Variable::MessageContent)
        .field("meta", Variable::Metadata)
        .field("files", Variable::Attachments)
        .field("order", Var::Metadata("order"))
        .source()
        .unwrap()
}

#[test]
fn the_builder_rejects_what_it_cannot_write() {
    let cases = [
        (
            Template::builder(Encoding::Json).field("", Variable::Status),
            "",
        ),
        (
            Template::builder(Encoding::Json)
                .field("a", Variable::Status)
                .field("a", Variable::StatusCode),
            "a",
        ),
        (
            Template::builder(Encoding::Json).optional_field("a", Variable::Status),
            "a",
        ),
        (
            Template::builder(Encoding::Xml).field("1st", Variable::Status),
            "1st",
        ),
        (
            Template::builder(Encoding::Xml).object("o", |o| o.field("a b", Variable::Status)),
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
