//! Figures recorded over runs, summarised as median and spread, and the tables they are
//! printed in.

/// How a figure is printed.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// Microseconds: two decimals below 100, none above.
    Us,
    /// Milliseconds: two decimals below 100, none above.
    Ms,
    /// A plain ratio, two decimals.
    Ratio,
    /// A percentage, one decimal.
    Percent,
    /// Requests per second.
    Rate,
    /// Events per second, whatever they are (`/s`).
    PerSecond,
}

impl Unit {
    /// `value` in this unit, with its suffix.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Us if value.abs() >= 100.0 => format!("{value:.0} us"),
            Unit::Us => format!("{value:.2} us"),
            Unit::Ms if value.abs() >= 100.0 => format!("{value:.0} ms"),
            Unit::Ms => format!("{value:.2} ms"),
            Unit::Ratio => format!("{value:.2}"),
            Unit::Percent => format!("{value:.1} %"),
            Unit::Rate => format!("{value:.0} req/s"),
            Unit::PerSecond => format!("{value:.0} /s"),
        }
    }
}

/// One figure's values, one per run.
struct Row {
    name: String,
    unit: Unit,
    target: &'static str,
    values: Vec<f64>,
}

/// Every figure's value in every run, in the order first recorded.
#[derive(Default)]
pub struct Figures(Vec<Row>);

impl Figures {
    /// Adds this run's `value` of the figure `name` (its unit and target are the first run's).
    pub fn record(&mut self, name: &str, unit: Unit, target: &'static str, value: f64) {
        match self.0.iter_mut().find(|row| row.name == name) {
            Some(row) => row.values.push(value),
            None => self.0.push(Row {
                name: name.to_owned(),
                unit,
                target,
                values: vec![value],
            }),
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values of the figure `name`, one per run, if it was recorded.
    pub fn values(&self, name: &str) -> Option<&[f64]> {
        self.0
            .iter()
            .find(|row| row.name == name)
            .map(|row| row.values.as_slice())
    }

    /// Prints the table of every figure: median, spread (min-max) and target.
    pub fn print_summary(&self) {
        let rows: Vec<Vec<String>> = self
            .0
            .iter()
            .map(|row| {
                let (low, high) = range(&row.values);
                vec![
                    row.name.clone(),
                    row.unit.format(median(&row.values)),
                    format!("{}-{}", row.unit.format(low), row.unit.format(high)),
                    row.target.to_owned(),
                ]
            })
            .collect();
        print_table(&["Figure", "Median", "Spread", "Target"], &rows);
    }
}

/// The median; `NaN` for no values.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    }
}

/// The smallest and the largest value (infinities for none).
pub fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &v| {
            (low.min(v), high.max(v))
        })
}

/// The `percent` percentile of sorted values (nearest rank); 0 when there are none.
pub fn percentile(sorted: &[u64], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

/// A Markdown table, the first column left-aligned and the others right-aligned, so it can be
/// pasted into BENCHMARKS.md as printed.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                if i == 0 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        println!("| {} |", cells.join(" | "));
    };
    line(&header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    println!("|{}|", rule.join("|"));
    for row in rows {
        line(row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_percentile_take_the_middle_and_the_nearest_rank() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert_eq!(percentile(&sorted, 50.0), 50.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn figures_keep_one_row_per_name_in_the_order_first_recorded() {
        let mut figures = Figures::default();
        figures.record("b", Unit::Ms, "-", 1.0);
        figures.record("a", Unit::Ms, "-", 2.0);
        figures.record("b", Unit::Ms, "-", 3.0);
        assert_eq!(figures.values("b"), Some(&[1.0, 3.0][..]));
        assert_eq!(figures.0[0].name, "b");
        assert_eq!(Unit::Us.format(2.345), "2.35 us");
        assert_eq!(Unit::Ms.format(123.4), "123 ms");
        assert_eq!(
            crate::load_range(&["0.5 1 2".into(), "1.5 1 2".into()]),
            (0.5, 1.5)
        );
    }
}
