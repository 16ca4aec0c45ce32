use serde_json::{Value, json};

use super::*;

fn base() -> Value {
    json!({
        "openapi": "3.0.3",
        "servers": [{"url": "https://a.example"}],
        "security": [{"basic": []}],
        "paths": {"/things": {
            "get": {
                "operationId": "ListThings",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "default": 0}},
                    {"name": "size", "in": "query", "required": true, "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/ThingPage"}}}}}
            },
            "post": {
                "operationId": "MakeThing",
                "requestBody": {"required": true, "content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/NewThing"}}}},
                "responses": {"201": {"description": "made", "content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
            }
        }},
        "components": {"schemas": {
            "Thing": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"},
                "kind": {"type": "string", "enum": ["A", "B"]},
                "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 10}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "owner": {"type": "object", "properties": {"name": {"type": "string"}}}
            }},
            "ThingPage": {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
            }},
            "NewThing": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "maxLength": 100},
                "note": {"type": "string"},
                "kind": {"type": "string", "enum": ["A", "B"]},
                "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 10}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "meta": {"type": "object", "properties": {"size": {"type": "integer"}}}
            }}
        }}
    })
}

const THING: &str = "/components/schemas/Thing";
const NEW_THING: &str = "/components/schemas/NewThing";
const GET: &str = "/paths/~1things/get";
const POST: &str = "/paths/~1things/post";

fn at<'v>(doc: &'v mut Value, pointer: &str) -> &'v mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the base spec has {pointer}"))
}

fn set(pointer: &'static str, value: Value) -> impl Fn(&mut Value) {
    move |doc| {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match at(doc, parent) {
            Value::Array(list) => list.insert(key.parse::<usize>().unwrap(), value.clone()),
            parent => parent[key.replace("~1", "/")] = value.clone(),
        }
    }
}

fn remove(pointer: &'static str) -> impl Fn(&mut Value) {
    move |doc| {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = at(doc, parent);
        match parent {
            Value::Object(map) => assert!(map.remove(&key.replace("~1", "/")).is_some()),
            Value::Array(list) => {
                list.remove(key.parse::<usize>().unwrap());
            }
            _ => panic!("{pointer} is not in a container"),
        }
    }
}

fn nothing(_: &mut Value) {}

/// One row: how the old and new spec differ from the base, the expected exit status, and the
/// location (JSON pointer) of the finding that decides it (`None`: no change at all).
struct Row {
    name: &'static str,
    old: Box<dyn Fn(&mut Value)>,
    new: Box<dyn Fn(&mut Value)>,
    exit: u8,
    location: Option<&'static str>,
}

fn row(
    name: &'static str,
    old: impl Fn(&mut Value) + 'static,
    new: impl Fn(&mut Value) + 'static,
    exit: u8,
    location: Option<&'static str>,
) -> Row {
    Row {
        name,
        old: Box::new(old),
        new: Box::new(new),
        exit,
        location,
    }
}

fn table() -> Vec<Row> {
    vec![
        row(
            "a 201 body removed breaks",
            nothing,
            remove("/paths/~1things/post/responses/201/content"),
            1,
            Some("#/paths/~1things/post/responses/201/content"),
        ),
        row(
            "a 201 description reworded changes nothing",
            nothing,
            set(
                "/paths/~1things/post/responses/201/description",
                json!("created"),
            ),
            0,
            None,
        ),
        row(
            "201 replaced by 200 breaks",
            nothing,
            |doc: &mut Value| {
                let responses = at(doc, "/paths/~1things/post/responses")
                    .as_object_mut()
                    .unwrap();
                let made = responses.remove("201").unwrap();
                responses.insert("200".into(), made);
            },
            1,
            Some("#/paths/~1things/post/responses/201"),
        ),
        row(
            "a 202 added beside 201 is additive",
            nothing,
            |doc: &mut Value| {
                let made = at(doc, "/paths/~1things/post/responses/201").clone();
                at(doc, "/paths/~1things/post/responses")["202"] = made;
            },
            0,
            Some("#/paths/~1things/post/responses/202"),
        ),
        row(
            "a response $ref swapped breaks",
            nothing,
            set(
                "/paths/~1things/get/responses/200/content/application~1json/schema/$ref",
                json!("#/components/schemas/Thing"),
            ),
            1,
            Some("#/paths/~1things/get/responses/200/content/application~1json/schema/$ref"),
        ),
        row(
            "a request-body $ref swapped breaks",
            nothing,
            set(
                "/paths/~1things/post/requestBody/content/application~1json/schema/$ref",
                json!("#/components/schemas/Thing"),
            ),
            1,
            Some("#/paths/~1things/post/requestBody/content/application~1json/schema/$ref"),
        ),
        row(
            "requestBody.required flipped to true breaks",
            set("/paths/~1things/post/requestBody/required", json!(false)),
            nothing,
            1,
            Some("#/paths/~1things/post/requestBody/required"),
        ),
        row(
            "requestBody.required flipped to false is additive",
            nothing,
            set("/paths/~1things/post/requestBody/required", json!(false)),
            0,
            Some("#/paths/~1things/post/requestBody/required"),
        ),
        row(
            "a response map's value type changed breaks",
            nothing,
            set(
                "/components/schemas/Thing/properties/labels/additionalProperties/type",
                json!("integer"),
            ),
            1,
            Some("#/components/schemas/Thing/properties/labels/additionalProperties/type"),
        ),
        row(
            "a response map's value bound relaxed breaks",
            nothing,
            set(
                "/components/schemas/Thing/properties/labels/additionalProperties/maxLength",
                json!(20),
            ),
            1,
            Some("#/components/schemas/Thing/properties/labels/additionalProperties/maxLength"),
        ),
        row(
            "a request map's value bound relaxed is additive",
            nothing,
            set(
                "/components/schemas/NewThing/properties/labels/additionalProperties/maxLength",
                json!(20),
            ),
            0,
            Some("#/components/schemas/NewThing/properties/labels/additionalProperties/maxLength"),
        ),
        row(
            "additionalProperties: false on a request breaks",
            nothing,
            set(
                "/components/schemas/NewThing/additionalProperties",
                json!(false),
            ),
            1,
            Some("#/components/schemas/NewThing/additionalProperties"),
        ),
        row(
            "additionalProperties: false on a response is additive",
            nothing,
            set(
                "/components/schemas/Thing/additionalProperties",
                json!(false),
            ),
            0,
            Some("#/components/schemas/Thing/additionalProperties"),
        ),
        row(
            "a response field now nullable breaks",
            nothing,
            set(
                "/components/schemas/Thing/properties/id/nullable",
                json!(true),
            ),
            1,
            Some("#/components/schemas/Thing/properties/id/nullable"),
        ),
        row(
            "a request field now nullable is additive",
            nothing,
            set(
                "/components/schemas/NewThing/properties/note/nullable",
                json!(true),
            ),
            0,
            Some("#/components/schemas/NewThing/properties/note/nullable"),
        ),
        row(
            "a parameter default changed breaks",
            nothing,
            set("/paths/~1things/get/parameters/0/schema/default", json!(1)),
            1,
            Some("#/paths/~1things/get/parameters/default"),
        ),
        row(
            "a default documented where none was is additive",
            nothing,
            set(
                "/components/schemas/NewThing/properties/note/default",
                json!(""),
            ),
            0,
            Some("#/components/schemas/NewThing/properties/note/default"),
        ),
        row(
            "minProperties on a request map breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/labels/minProperties",
                json!(1),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/labels/minProperties"),
        ),
        row(
            "minProperties on a response map is additive",
            nothing,
            set(
                "/components/schemas/Thing/properties/labels/minProperties",
                json!(1),
            ),
            0,
            Some("#/components/schemas/Thing/properties/labels/minProperties"),
        ),
        row(
            "uniqueItems on a request array breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/tags/uniqueItems",
                json!(true),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/tags/uniqueItems"),
        ),
        row(
            "uniqueItems on a response array is additive",
            nothing,
            set(
                "/components/schemas/Thing/properties/tags/uniqueItems",
                json!(true),
            ),
            0,
            Some("#/components/schemas/Thing/properties/tags/uniqueItems"),
        ),
        row(
            "a server removed breaks",
            nothing,
            set("/servers", json!([])),
            1,
            Some("#/servers"),
        ),
        row(
            "a server added is additive",
            nothing,
            set("/servers/1", json!({"url": "https://b.example"})),
            0,
            Some("#/servers"),
        ),
        row(
            "a security scheme replaced breaks",
            nothing,
            set("/security", json!([{"hmac": []}])),
            1,
            Some("#/paths/~1things/get/security"),
        ),
        row(
            "a security alternative added is additive",
            nothing,
            set("/security/1", json!({"hmac": []})),
            0,
            Some("#/paths/~1things/get/security"),
        ),
        row(
            "a nested inline response property removed breaks",
            nothing,
            remove("/components/schemas/Thing/properties/owner/properties/name"),
            1,
            Some("#/components/schemas/Thing/properties/owner/properties/name"),
        ),
        row(
            "a nested inline optional request property added is additive",
            nothing,
            set(
                "/components/schemas/NewThing/properties/meta/properties/color",
                json!({"type": "string"}),
            ),
            0,
            Some("#/components/schemas/NewThing/properties/meta/properties/color"),
        ),
        row(
            "a nested inline request property now required breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/meta/required",
                json!(["size"]),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/meta/required"),
        ),
        row(
            "a nested inline response property now required is additive",
            nothing,
            set(
                "/components/schemas/Thing/properties/owner/required",
                json!(["name"]),
            ),
            0,
            Some("#/components/schemas/Thing/properties/owner/required"),
        ),
        row(
            "an operation removed breaks",
            nothing,
            remove("/paths/~1things/get"),
            1,
            Some("#/paths/~1things/get"),
        ),
        row(
            "an operation added is additive",
            nothing,
            set(
                "/paths/~1things/delete",
                json!({"operationId": "DropThings", "responses": {}}),
            ),
            0,
            Some("#/paths/~1things/delete"),
        ),
        row(
            "an operationId renamed breaks",
            nothing,
            set("/paths/~1things/get/operationId", json!("GetThings")),
            1,
            Some("#/paths/~1things/get/operationId"),
        ),
        row(
            "a parameter removed breaks",
            nothing,
            remove("/paths/~1things/get/parameters/0"),
            1,
            Some("#/paths/~1things/get/parameters"),
        ),
        row(
            "an optional parameter added is additive",
            nothing,
            set(
                "/paths/~1things/get/parameters/2",
                json!({"name": "q", "in": "query", "schema": {"type": "string"}}),
            ),
            0,
            Some("#/paths/~1things/get/parameters"),
        ),
        row(
            "a parameter now required breaks",
            nothing,
            set("/paths/~1things/get/parameters/0/required", json!(true)),
            1,
            Some("#/paths/~1things/get/parameters"),
        ),
        row(
            "a required parameter made optional changes nothing on the wire",
            nothing,
            remove("/paths/~1things/get/parameters/1/required"),
            0,
            None,
        ),
        row(
            "an enum value added to a response breaks",
            nothing,
            set(
                "/components/schemas/Thing/properties/kind/enum/2",
                json!("C"),
            ),
            1,
            Some("#/components/schemas/Thing/properties/kind/enum"),
        ),
        row(
            "an enum value added to a request is additive",
            nothing,
            set(
                "/components/schemas/NewThing/properties/kind/enum/2",
                json!("C"),
            ),
            0,
            Some("#/components/schemas/NewThing/properties/kind/enum"),
        ),
        row(
            "an enum value removed from a request breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/kind/enum",
                json!(["A"]),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/kind/enum"),
        ),
        row(
            "a property type changed breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/note/type",
                json!("integer"),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/note/type"),
        ),
        row(
            "a property description added changes nothing",
            nothing,
            set(
                "/components/schemas/NewThing/properties/note/description",
                json!("A note."),
            ),
            0,
            None,
        ),
        row(
            "a request bound tightened breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/name/maxLength",
                json!(50),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/name/maxLength"),
        ),
        row(
            "a request bound relaxed is additive",
            nothing,
            set(
                "/components/schemas/NewThing/properties/name/maxLength",
                json!(500),
            ),
            0,
            Some("#/components/schemas/NewThing/properties/name/maxLength"),
        ),
        row(
            "a response field no longer required breaks",
            nothing,
            set("/components/schemas/Thing/required", json!([])),
            1,
            Some("#/components/schemas/Thing/required"),
        ),
        row(
            "a request field no longer required is additive",
            nothing,
            set("/components/schemas/NewThing/required", json!([])),
            0,
            Some("#/components/schemas/NewThing/required"),
        ),
        row(
            "a required request property added breaks",
            nothing,
            |doc: &mut Value| {
                set(
                    "/components/schemas/NewThing/properties/size",
                    json!({"type": "integer"}),
                )(doc);
                set("/components/schemas/NewThing/required/1", json!("size"))(doc);
            },
            1,
            Some("#/components/schemas/NewThing/properties/size"),
        ),
        row(
            "a required response property added is additive",
            nothing,
            |doc: &mut Value| {
                set(
                    "/components/schemas/Thing/properties/size",
                    json!({"type": "integer"}),
                )(doc);
                set("/components/schemas/Thing/required/1", json!("size"))(doc);
            },
            0,
            Some("#/components/schemas/Thing/properties/size"),
        ),
        row(
            "a pattern on a request field breaks",
            nothing,
            set(
                "/components/schemas/NewThing/properties/note/pattern",
                json!("^a"),
            ),
            1,
            Some("#/components/schemas/NewThing/properties/note/pattern"),
        ),
        row(
            "a pattern on a response field is additive",
            nothing,
            set(
                "/components/schemas/Thing/properties/id/pattern",
                json!("^a"),
            ),
            0,
            Some("#/components/schemas/Thing/properties/id/pattern"),
        ),
        row(
            "a schema no operation uses removed breaks",
            set("/components/schemas/Old", json!({"type": "object"})),
            nothing,
            1,
            Some("#/components/schemas/Old"),
        ),
        row(
            "a schema added is additive",
            nothing,
            set("/components/schemas/Extra", json!({"type": "object"})),
            0,
            Some("#/components/schemas/Extra"),
        ),
    ]
}

#[test]
fn every_change_kind_in_the_table_gives_its_exit_code_and_location() {
    let _ = (THING, NEW_THING, GET, POST);
    let mut failures = Vec::new();
    for row in table() {
        let (mut old, mut new) = (base(), base());
        (row.old)(&mut old);
        (row.new)(&mut new);
        let found = changes(&old, &new);
        let code = exit_code(&found);
        let located = match row.location {
            None => found.is_empty(),
            Some(location) => found
                .iter()
                .any(|c| c.location.to_string() == location && (row.exit == 0 || c.breaking)),
        };
        if code != row.exit || !located {
            failures.push(format!(
                "{}: exit {code}, expected {} at {:?}; found {found:#?}",
                row.name, row.exit, row.location
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_table_covers_twenty_kinds_each_way() {
    let rows = table();
    let breaking = rows.iter().filter(|r| r.exit == 1).count();
    let additive = rows.iter().filter(|r| r.exit == 0).count();
    assert!(
        breaking >= 20 && additive >= 20,
        "{breaking} breaking, {additive} not"
    );
}

#[test]
fn identical_specs_have_no_changes() {
    assert_eq!(changes(&base(), &base()), vec![]);
}

#[test]
fn a_recursive_schema_is_compared_once_and_ends() {
    let mut doc = base();
    set(
        "/components/schemas/Thing/properties/parent",
        json!({"$ref": "#/components/schemas/Thing"}),
    )(&mut doc);
    let mut new = doc.clone();
    set(
        "/components/schemas/Thing/properties/id/type",
        json!("integer"),
    )(&mut new);
    let found = changes(&doc, &new);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].location.to_string(),
        "#/components/schemas/Thing/properties/id/type"
    );
}

#[test]
fn a_breaking_change_says_why() {
    let mut new = base();
    set(
        "/components/schemas/Thing/properties/id/nullable",
        json!(true),
    )(&mut new);
    let found = changes(&base(), &new);
    let text = found[0].to_string();
    assert!(
        text.starts_with("BREAKING  #/components/schemas/Thing/properties/id/nullable"),
        "{text}"
    );
    assert!(text.contains("may now carry null"), "{text}");
}
