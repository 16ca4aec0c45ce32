//! The bounds on the work one template may cause. Templates come from webhook owners and are
//! rendered for every event, so a template must not be able to hang or exhaust the process
//! that renders it (the sandbox, a preview, the linter).

/// How deeply `#if`/`#foreach` blocks, parentheses and method arguments may nest. Parsing
/// recurses once per level; the vendor's samples nest 2 deep, and 64 leaves room for any
/// template written by hand while keeping the parser's stack small.
pub const MAX_NESTING: usize = 64;

/// The most bytes one render may produce. Four times the largest request body the sandbox
/// accepts (256 KiB), and far beyond any callback the platform's payloads need; nested loops
/// over large metadata reach it quickly, and memory stays within it.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// The most steps one render may take: each node evaluated and each loop round costs one.
/// Nested loops multiply their collections' sizes, so the work of a render is bounded here
/// and not by its output alone (a loop with an empty body writes nothing). A default payload
/// takes about a hundred steps; a loop over 15,000 metadata entries about 100,000.
pub const MAX_RENDER_STEPS: usize = 2_000_000;
