//! The receiving side: what MessageMedia sends to your URL.

/// Callback templates: the rendering engine (shared with the sandbox), a builder of escaped
/// templates, the default payload templates, and a linter.
pub mod template;
