//! What a figure is measured on: the command, the CPU, the load, the CPU time spent.

use crate::figures::range;

/// The command that reproduces this run: `cargo run --release -p webhooks-tools --bin BIN --
/// ARGS`.
pub fn command_line(bin: &str) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut command = format!("cargo run --release -p webhooks-tools --bin {bin}");
    if !args.is_empty() {
        command.push_str(" -- ");
        command.push_str(&args.join(" "));
    }
    command
}

/// `/proc/loadavg` as it reads, or `unknown`.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|load| load.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The 1-minute load averages of `/proc/loadavg` lines, as their range (low, high).
pub fn load_range(loads: &[String]) -> (f64, f64) {
    let one_minute: Vec<f64> = loads
        .iter()
        .filter_map(|load| load.split_whitespace().next()?.parse().ok())
        .collect();
    range(&one_minute)
}

/// The CPU's model name from `/proc/cpuinfo`, or `unknown CPU`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// CPU time of the calling thread, in nanoseconds.
pub fn thread_cpu_ns() -> u128 {
    nanos(rustix::time::clock_gettime(
        rustix::time::ClockId::ThreadCPUTime,
    ))
}

/// CPU time of this process (all its threads), in nanoseconds.
pub fn process_cpu_ns() -> u128 {
    nanos(rustix::time::clock_gettime(
        rustix::time::ClockId::ProcessCPUTime,
    ))
}

fn nanos(time: rustix::time::Timespec) -> u128 {
    u128::try_from(time.tv_sec).unwrap_or(0) * 1_000_000_000
        + u128::try_from(time.tv_nsec).unwrap_or(0)
}
