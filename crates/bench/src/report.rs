//! Samples, the table and `results.json`.
//!
//! Every row holds a figure, the floor it is judged against (measured in the same run), their
//! ratio and, where the project sets one, the budget and whether it was met. Nothing here
//! fails a run over a timing: CI runs the short variant only to keep the harness working.

use std::{path::Path, time::Duration};

use serde::Serialize;

/// Sorted durations.
#[derive(Debug, Clone)]
pub(crate) struct Samples(Vec<Duration>);

impl Samples {
    pub(crate) fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Self(samples)
    }

    fn at(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.0.len() - 1) as f64 * q).round() as usize;
        self.0[i.min(self.0.len() - 1)]
    }

    pub(crate) fn p50(&self) -> Duration {
        self.at(0.5)
    }

    pub(crate) fn p99(&self) -> Duration {
        self.at(0.99)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

/// The unit a row's figures are in.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Unit {
    Micros,
    Millis,
    MegabytesPerSecond,
    CallsPerSecond,
    Megabytes,
    Bytes,
    Spawns,
}

impl Unit {
    fn suffix(self) -> &'static str {
        match self {
            Self::Micros => "us",
            Self::Millis => "ms",
            Self::MegabytesPerSecond => "MB/s",
            Self::CallsPerSecond => "calls/s",
            Self::Megabytes => "MB",
            Self::Bytes => "B",
            Self::Spawns => "spawns",
        }
    }

    /// The figure of a duration in this unit.
    pub(crate) fn of(self, d: Duration) -> f64 {
        match self {
            Self::Micros => d.as_secs_f64() * 1e6,
            _ => d.as_secs_f64() * 1e3,
        }
    }
}

/// How a figure relates to its budget.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Budget {
    /// The budget as the issue states it.
    pub(crate) text: String,
    pub(crate) met: bool,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Row {
    pub(crate) group: &'static str,
    pub(crate) name: String,
    pub(crate) unit: Unit,
    pub(crate) p50: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) p99: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) samples: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) floor: Option<String>,
    /// The figure divided by its floor's (for throughputs, 0.7 means 70 % of the floor's
    /// speed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) budget: Option<Budget>,
}

impl Row {
    /// A row of timed samples.
    pub(crate) fn timed(
        group: &'static str,
        name: impl Into<String>,
        unit: Unit,
        s: &Samples,
    ) -> Self {
        Self {
            group,
            name: name.into(),
            unit,
            p50: unit.of(s.p50()),
            p99: Some(unit.of(s.p99())),
            samples: Some(s.len()),
            floor: None,
            ratio: None,
            budget: None,
        }
    }

    /// A row of one figure.
    pub(crate) fn value(
        group: &'static str,
        name: impl Into<String>,
        unit: Unit,
        value: f64,
    ) -> Self {
        Self {
            group,
            name: name.into(),
            unit,
            p50: value,
            p99: None,
            samples: None,
            floor: None,
            ratio: None,
            budget: None,
        }
    }

    /// Judged against `floor` (a name and the floor's figure in the same unit).
    pub(crate) fn against(mut self, floor: impl Into<String>, floor_value: f64) -> Self {
        self.floor = Some(floor.into());
        self.ratio = (floor_value > 0.0).then(|| self.p50 / floor_value);
        self
    }

    pub(crate) fn budget(mut self, text: impl Into<String>, met: bool) -> Self {
        self.budget = Some(Budget {
            text: text.into(),
            met,
        });
        self
    }
}

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub(crate) struct Results {
    pub(crate) revision: String,
    pub(crate) cores: usize,
    pub(crate) profile: String,
    pub(crate) quick: bool,
    pub(crate) unix_time: u64,
    pub(crate) rows: Vec<Row>,
}

impl Results {
    pub(crate) fn new(revision: String, profile: String, quick: bool) -> Self {
        Self {
            revision,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            profile,
            quick,
            unix_time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: Row) {
        print_row(&row);
        self.rows.push(row);
    }

    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(self)?)?;
        Ok(())
    }

    /// The whole table again, for the end of the run (rows are also printed as they come).
    pub(crate) fn print(&self) {
        println!();
        println!(
            "ocm-plugin bench  revision {}  cores {}  profile {}{}",
            self.revision,
            self.cores,
            self.profile,
            if self.quick {
                "  (quick: figures are not representative)"
            } else {
                ""
            }
        );
        print_header();
        let mut group = "";
        for row in &self.rows {
            if row.group != group {
                group = row.group;
                println!("{group}");
            }
            print_row(row);
        }
        let judged: Vec<&Row> = self.rows.iter().filter(|r| r.budget.is_some()).collect();
        let met = judged
            .iter()
            .filter(|r| r.budget.as_ref().is_some_and(|b| b.met))
            .count();
        println!("budgets met: {met} of {}", judged.len());
    }
}

pub(crate) fn print_header() {
    println!(
        "  {:<46} {:>12} {:>12}  {:<34} {:>7}  budget",
        "scenario", "p50", "p99", "floor", "ratio"
    );
}

fn figure(v: f64, unit: Unit) -> String {
    if v >= 100.0 {
        format!("{v:.0} {}", unit.suffix())
    } else {
        format!("{v:.2} {}", unit.suffix())
    }
}

fn print_row(row: &Row) {
    let budget = row.budget.as_ref().map_or(String::new(), |b| {
        format!("{} {}", b.text, if b.met { "met" } else { "NOT MET" })
    });
    println!(
        "  {:<46} {:>12} {:>12}  {:<34} {:>7}  {}",
        row.name,
        figure(row.p50, row.unit),
        row.p99.map_or(String::new(), |v| figure(v, row.unit)),
        row.floor.as_deref().unwrap_or(""),
        row.ratio.map_or(String::new(), |r| format!("{r:.2}x")),
        budget
    );
}
