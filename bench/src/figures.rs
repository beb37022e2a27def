//! Figures, their runs and targets, the table they make, and where it is kept.

use std::fmt::Write as _;

pub struct Figure {
    name: String,
    unit: String,
    values: Vec<f64>,
    target: Option<(String, bool)>,
}

impl Figure {
    /// A figure measured in several runs.
    pub fn runs(name: &str, unit: &str, values: Vec<f64>) -> Figure {
        Figure {
            name: name.to_owned(),
            unit: unit.to_owned(),
            values,
            target: None,
        }
    }

    /// A figure computed once (a ratio, a peak).
    pub fn single(name: &str, unit: &str, value: f64) -> Figure {
        Figure::runs(name, unit, vec![value])
    }

    pub fn target(mut self, target: &str, met: bool) -> Figure {
        self.target = Some((target.to_owned(), met));
        self
    }
}

#[derive(Default)]
pub struct Report {
    figures: Vec<Figure>,
}

impl Report {
    pub fn add(&mut self, figure: Figure) {
        let values: Vec<String> = figure.values.iter().map(|v| format_value(*v)).collect();
        println!("bench: {} = {} {}", figure.name, values.join(" / "), figure.unit);
        self.figures.push(figure);
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from("| Figure | Median | Spread of the runs | Target | Met |\n|---|---:|---|---|---|\n");
        for f in &self.figures {
            let spread = if f.values.len() > 1 {
                let min = f.values.iter().copied().fold(f64::INFINITY, f64::min);
                let max = f.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!("{} – {}", format_value(min), format_value(max))
            } else {
                "(one value)".to_owned()
            };
            let (target, met) = match &f.target {
                Some((t, true)) => (t.as_str(), "yes"),
                Some((t, false)) => (t.as_str(), "**no**"),
                None => ("", ""),
            };
            let _ = writeln!(
                out,
                "| {} | {} {} | {spread} | {target} | {met} |",
                f.name,
                format_value(median(&f.values)),
                f.unit
            );
        }
        out
    }
}

/// Numbers with the precision that means something at their size.
pub fn format_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The median (the mean of the two middle values for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Appends a dated section with the machine's description and the table under the file's results heading.
pub fn append_to_docs(path: &str, table: &str, machine: &str) -> Result<(), String> {
    let mut text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let _ = write!(text, "\n### Run of {date}\n\n{machine}.\n\n{table}");
    std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_the_table_show_runs_and_targets() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let mut report = Report::default();
        report.add(Figure::runs("Verify", "/s", vec![9000.0, 11000.0, 10500.0]).target("≥ 10 000", true));
        report.add(Figure::single("Ratio", "×", 0.9).target("≥ 0.95", false));
        let table = report.markdown();
        assert!(
            table.contains("| Verify | 10500 /s | 9000 – 11000 | ≥ 10 000 | yes |"),
            "{table}"
        );
        assert!(
            table.contains("| Ratio | 0.90 × | (one value) | ≥ 0.95 | **no** |"),
            "{table}"
        );
    }
}
