//! Templates and data shared by the template test files.
#![allow(dead_code, reason = "each test file uses some of these")]

use std::collections::BTreeMap;

use serde_json::Value;
use webhooks_template::Event;
use webhooks_template::EventData;

/// Written with every construct of the vendor's replies/MMS sample: `#if ($attachments)` with
/// a space, `#foreach ($x in $attachments)` with `.contentType`/`.base64`/`.originalName`,
/// `#if( $foreach.hasNext )`, `#else`, `$esc.json($moContent)`, `entrySet()` with
/// `.key`/`.value`.
pub const REPLY_TEMPLATE: &str = r##"{
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
pub const REPORT_TEMPLATE: &str = r##"{"report": "$drId", "from": "$sourceAddress", "received": "$receivedTimestamp", "state": "$status", "delay": "0", "submitted": "$submittedTimestamp", "message": "$messageId", "text": "$esc.json($!mtContent)", "vendor": {"id": "$vendorId", "account": "$accountId"}, "code": "$statusCode", "meta": {#foreach($k in $metadata.keySet())"$k": "$esc.json($metadata.get($k))"#if( $velocityHasNext ),#end#end}}"##;

pub fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|err| panic!("not JSON ({err}):\n{body}"))
}

pub fn data(event: Event) -> EventData {
    let mut data = EventData::sample(event, "DeveloperPortal7000");
    data.metadata = BTreeMap::from([
        ("campaign".to_owned(), "spring".to_owned()),
        ("order".to_owned(), "1234".to_owned()),
    ]);
    data
}

pub fn form_pairs(body: &str) -> BTreeMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .unwrap()
        .into_iter()
        .collect()
}
