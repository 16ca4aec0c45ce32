//! Writes the corpus of the differential test against Apache Velocity 1.7 (.ci/velocity/run):
//! for each case, `NNNNN.case` (the template and the event data, in the line format
//! `.ci/velocity/Render.java` reads) and `NNNNN.ours` (what this engine renders).
//!
//! ```text
//! cargo run -p velocity-corpus -- OUT_DIR [VENDOR_SPEC_YAML] [GENERATED]
//! ```
//!
//! The corpus: the vendor's two sample templates (read from its spec, never copied) on every
//! event, with plain and with awkward values (quotes, backslashes, line breaks, `/`, non-ASCII
//! and control characters) and on an MMS without attachments; the default templates for every
//! event and encoding; and GENERATED (default 3,000) templates from a seeded generator over
//! every construct the engine supports.

#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use webhooks_template::{EventData, Template, Variable, default_template};
use webhooks_vocabulary::{Encoding, Event};

/// Values that break templates which do not escape them, and that escapes treat differently.
const AWKWARD: &str =
    "She said \"hi\" & <b>'yes'</b> \\ C:\\path a/b\nline two\ttab é ✓ 😀 \u{1}\u{7f}";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: velocity-corpus OUT_DIR [SPEC] [N]")?,
    );
    let spec = args.next();
    let generated: usize = args.next().map_or(Ok(3_000), |n| n.parse())?;
    std::fs::create_dir_all(&out)?;
    let mut corpus = Corpus { dir: out, count: 0 };

    let datas = event_datas();
    if let Some(spec) = spec {
        for sample in vendor_samples(Path::new(&spec))? {
            for data in &datas {
                corpus.add(&sample, data)?;
            }
        }
    }
    for event in Event::ALL {
        for encoding in Encoding::ALL {
            for data in datas.iter().filter(|data| data.event == event) {
                corpus.add(default_template(event, encoding).source(), data)?;
            }
        }
    }
    let mut generator = Generator(0x005E_ED17);
    for i in 0..generated {
        let source = generator.template();
        corpus.add(&source, &datas[i % datas.len()])?;
    }
    println!("{} cases in {}", corpus.count, corpus.dir.display());
    Ok(())
}

/// Every event with sample values, with awkward values, and an MMS without attachments.
fn event_datas() -> Vec<EventData> {
    let mut datas = Vec::new();
    for event in Event::ALL {
        datas.push(EventData::sample(event, "MyAccount001"));
        let mut awkward = EventData::sample(event, "Acct \"/\\ é");
        for text in [
            &mut awkward.message_content,
            &mut awkward.reply_content,
            &mut awkward.source_address,
        ] {
            if text.is_some() {
                *text = Some(AWKWARD.to_owned());
            }
        }
        awkward.metadata.insert("note".into(), AWKWARD.into());
        awkward.metadata.insert("empty".into(), String::new());
        for attachment in &mut awkward.attachments {
            attachment.original_name = AWKWARD.to_owned();
        }
        awkward.retry_count = 2;
        datas.push(awkward);
    }
    let mut bare = EventData::sample(Event::ReceivedMms, "MyAccount001");
    bare.attachments.clear();
    datas.push(bare);
    datas
}

/// The `template` values of the vendor's examples, decoded from their JSON strings.
fn vendor_samples(spec: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(spec)?;
    let mut samples: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(value) = line.trim().strip_prefix("\"template\": ") else {
            continue;
        };
        let sample: String = serde_json::from_str(value.trim_end_matches(','))?;
        if !samples.contains(&sample) {
            samples.push(sample);
        }
    }
    Ok(samples)
}

struct Corpus {
    dir: PathBuf,
    count: usize,
}

impl Corpus {
    fn add(&mut self, source: &str, data: &EventData) -> std::io::Result<()> {
        let name = format!("{:05}", self.count);
        self.count += 1;
        let ours = match Template::parse(source) {
            Err(_) => b"parse error\n".to_vec(),
            Ok(template) => match template.render(data) {
                Ok(body) => format!("ok\n{body}").into_bytes(),
                Err(_) => b"render error\n".to_vec(),
            },
        };
        std::fs::write(self.dir.join(format!("{name}.case")), case(source, data))?;
        std::fs::write(self.dir.join(format!("{name}.ours")), ours)
    }
}

/// The case file: the template, then each variable the event provides, under every name.
fn case(source: &str, data: &EventData) -> Vec<u8> {
    let mut out = String::new();
    bytes(&mut out, &format!("template {}", source.len()), source);
    for (name, variable) in Variable::names() {
        if !variable.is_available(data.event) {
            continue;
        }
        match variable {
            Variable::Metadata => {
                let _ = writeln!(out, "map {name}");
                for (key, value) in &data.metadata {
                    let head = format!("entry {name} {} {}", key.len(), value.len());
                    bytes(&mut out, &head, &format!("{key}{value}"));
                }
            }
            Variable::Attachments => {
                let _ = writeln!(out, "list {name}");
                for a in &data.attachments {
                    let head = format!(
                        "attachment {name} {} {} {}",
                        a.content_type.len(),
                        a.base64.len(),
                        a.original_name.len()
                    );
                    let body = format!("{}{}{}", a.content_type, a.base64, a.original_name);
                    bytes(&mut out, &head, &body);
                }
            }
            Variable::StatusCode | Variable::RetryCount | Variable::BillingUnits => {
                let value = ours(&format!("$!{{{name}}}"), data);
                if !value.is_empty() {
                    let _ = writeln!(out, "integer {name} {value}");
                }
            }
            _ => {
                if ours(&format!("#if(${name})1#end"), data) == "1" {
                    let value = ours(&format!("$!{{{name}}}"), data);
                    bytes(&mut out, &format!("string {name} {}", value.len()), &value);
                }
            }
        }
    }
    out.into_bytes()
}

fn bytes(out: &mut String, head: &str, body: &str) {
    out.push_str(head);
    out.push('\n');
    out.push_str(body);
    out.push('\n');
}

/// What this engine renders for a one-variable template (how a value reaches the harness).
fn ours(source: &str, data: &EventData) -> String {
    Template::parse(source)
        .ok()
        .and_then(|template| template.render(data).ok())
        .unwrap_or_default()
}

/// A seeded generator of templates over every construct the engine supports.
struct Generator(u64);

// `{` is followed by what JSON puts there: 1.7 rejects `{$x` after some constructs (after a
// reference always, which the parser knows; after a doubled-quote string too, which it does not).
const TEXT: [&str; 13] = [
    "a", " ", "\n", "  ", "{\"", "{ ", "}", "\"", ",", ":", "é", "\t", "x y",
];
const REFERENCES: [&str; 40] = [
    "$status",
    "$!status",
    "${status}",
    "$!{nope}",
    "$nope",
    "$nope.x",
    "$moContent",
    "$mtContent",
    "$messageContent",
    "$replyContent",
    "$messageId",
    "$mtId",
    "$drId",
    "$reportId",
    "$sourceAddress",
    "$destinationAddress",
    "$accountId",
    "$vendorId",
    "$format",
    "$type",
    "$submittedTimestamp",
    "$receivedTimestamp",
    "$statusCode",
    "$retryCount",
    "$billingUnits",
    "$metadata",
    "$metadata.get('order')",
    "$metadata.get('nope')",
    "$metadata.order",
    "$metadata.keySet()",
    "$metadata.entrySet()",
    "$metadata.size()",
    "$metadata.isEmpty()",
    "$metadata.containsKey('note')",
    "$attachments",
    "$attachments.size()",
    "\\$status",
    "\\\\$status",
    "\\\\\\$nope",
    "$!!status",
];
const ESCAPES: [&str; 6] = ["json", "xml", "html", "url", "java", "javascript"];
const ESCAPED: [&str; 6] = [
    "$moContent",
    "$!mtContent",
    "$metadata.get('note')",
    "$sourceAddress",
    "$statusCode",
    "'it''s'",
];
const OPERANDS: [&str; 14] = [
    "$status",
    "$nope",
    "$moContent",
    "$statusCode",
    "$retryCount",
    "$metadata.get('empty')",
    "$metadata",
    "$attachments",
    "'delivered'",
    "'a'",
    "220",
    "0",
    "true",
    "220.0",
];
const COMPARISONS: [&str; 8] = ["==", "!=", "<", "<=", ">", ">=", "eq", "gt"];
const LOOPS: [(&str, &str); 5] = [
    ("$k", "$metadata.keySet()"),
    ("$e", "$metadata.entrySet()"),
    ("$v", "$metadata"),
    ("$a", "$attachments"),
    ("$c", "'abc'"),
];
const IN_LOOP: [&str; 14] = [
    "$k",
    "$e.key=$e.value",
    "$e",
    "$v",
    "$a.contentType",
    "$a.originalName",
    "$metadata.get($k)",
    "$foreach.count",
    "$foreach.index",
    "$foreach.hasNext",
    "$foreach.first",
    "$foreach.last",
    "$velocityCount",
    "#if($velocityHasNext),#end",
];
const SETS: [&str; 6] = [
    "#set($x = 'v')",
    "#set($x = $status)",
    "#set($x = $nope)",
    "#set($x = 'it''s')",
    "#set($x = \"say \"\"hi\"\"\")",
    "#set($x = 3)",
];
const OTHERS: [&str; 8] = [
    "#* block *#",
    "#[[ $status #if ]]# ",
    "\\#if($status)a\\#end",
    "\\#set($x = 1)",
    "\\\\#if(true)w#end",
    "'it''s'",
    "$x",
    "#{if}($status)b#{else}c#{end}",
];

impl Generator {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap_or(0) % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    fn template(&mut self) -> String {
        let mut out = String::new();
        // After some loops 1.7 writes a later `##` comment as text (a lexer quirk not pinned
        // down, see the report of issue 14): line comments open a template only.
        if self.below(4) == 0 {
            out.push_str("## a comment\n");
        }
        let pieces = 1 + self.below(8);
        for _ in 0..pieces {
            self.piece(&mut out, 0);
        }
        out
    }

    fn piece(&mut self, out: &mut String, depth: usize) {
        let kinds = if depth >= 2 { 4 } else { 7 };
        match self.below(kinds) {
            0 => out.push_str(self.pick(&TEXT)),
            1 => out.push_str(self.pick(&REFERENCES)),
            2 => {
                let escape = self.pick(&ESCAPES);
                let value = self.pick(&ESCAPED);
                let _ = write!(out, "$esc.{escape}({value})");
            }
            3 => {
                let piece = if self.below(2) == 0 {
                    self.pick(&SETS)
                } else {
                    self.pick(&OTHERS)
                };
                out.push_str(piece);
            }
            4 => self.condition_block(out, depth),
            _ => self.loop_block(out, depth),
        }
    }

    /// Blanks and line breaks around a directive, where 1.7's gobbling shows.
    fn space(&mut self, out: &mut String) {
        out.push_str(["", "", " ", "\n", "  ", "\n  ", "  \n"][self.below(7)]);
    }

    fn body(&mut self, out: &mut String, depth: usize) {
        self.space(out);
        for _ in 0..self.below(3) + 1 {
            self.piece(out, depth + 1);
        }
        self.space(out);
    }

    fn condition(&mut self) -> String {
        let simple = |g: &mut Generator| match g.below(3) {
            0 => g.pick(&OPERANDS).to_owned(),
            1 => format!("!{}", g.pick(&OPERANDS)),
            _ => {
                let (a, op, b) = (g.pick(&OPERANDS), g.pick(&COMPARISONS), g.pick(&OPERANDS));
                format!("{a} {op} {b}")
            }
        };
        match self.below(4) {
            0 => format!("{} && {}", simple(self), simple(self)),
            1 => format!("{} || {}", simple(self), simple(self)),
            _ => simple(self),
        }
    }

    fn condition_block(&mut self, out: &mut String, depth: usize) {
        let condition = self.condition();
        let _ = write!(out, "#if({condition})");
        self.body(out, depth);
        if self.below(3) == 0 {
            let condition = self.condition();
            let _ = write!(out, "#elseif({condition})");
            self.body(out, depth);
        }
        if self.below(2) == 0 {
            out.push_str("#else");
            self.body(out, depth);
        }
        out.push_str("#end");
        self.space(out);
    }

    fn loop_block(&mut self, out: &mut String, depth: usize) {
        let (item, iterable) = LOOPS[self.below(LOOPS.len())];
        let _ = write!(out, "#foreach({item} in {iterable})");
        self.space(out);
        for _ in 0..self.below(3) + 1 {
            if self.below(2) == 0 {
                out.push_str(self.pick(&IN_LOOP));
            } else {
                self.piece(out, depth + 1);
            }
        }
        self.space(out);
        out.push_str("#end");
        self.space(out);
    }
}
