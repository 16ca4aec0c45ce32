//! What the measuring tools (`loadtest`, `receive-bench`, `inbox-bench`) share: figures
//! recorded over runs and summarised as median and spread, the tables they are printed in,
//! what they say about the machine (its CPU, its load, this process's CPU time), and the
//! pre-signed delivery reports the receiving benchmarks send.
//!
//! Unpublished: BENCHMARKS.md says how each tool is run and what it measures.
#![forbid(unsafe_code)]

mod figures;
mod machine;
mod signed;

pub use figures::{Figures, Unit, median, percentile, print_table, range};
pub use machine::{command_line, cpu_model, load_range, loadavg, process_cpu_ns, thread_cpu_ns};
pub use signed::{CONTENT_TYPE, HOST, PATH, Prepared, QUERY, sign_pool};
