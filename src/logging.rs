//! Logging for every program of the suite, on `tracing`.
//!
//! Under systemd (stderr connected to the journal, per `JOURNAL_STREAM`)
//! each event goes to the journal once, natively, with `PRIORITY=`,
//! `SYSLOG_IDENTIFIER=` and structured fields; otherwise it is printed on
//! stderr as a plain line, without timestamps or level tags, the way NUT's
//! programs print (the journal adds the time).
//!
//! Structured fields: every event or span field whose name starts with
//! `nut_` becomes an upper-case journal field, so
//! `tracing::info!(nut_event = "ONBATT", "UPS {ups} on battery")` inside a
//! span carrying `nut_ups = "myups"` is logged with `NUT_EVENT=ONBATT` and
//! `NUT_UPS=myups`, and `journalctl NUT_UPS=myups` finds it. Fields given
//! to [`init`] (e.g. a driver's `NUT_UPS=` and `NUT_DRIVER=`) are added to
//! every message of the process.

use std::fmt::Write as _;
use std::io::Write as _;

use libsystemd::logging::Priority;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// Where log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Plain lines on stderr.
    Stderr,
    /// Native journal messages with fields.
    Journal,
}

impl Sink {
    /// The journal when stderr is connected to it, stderr otherwise.
    pub fn detect() -> Sink {
        if libsystemd::logging::connected_to_journal() {
            Sink::Journal
        } else {
            Sink::Stderr
        }
    }
}

/// How a program wants to log.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// `SYSLOG_IDENTIFIER=` (the program name, e.g. `upsd`).
    pub ident: String,
    /// Fields added to every message, e.g. `("NUT_UPS", "myups")`.
    pub fields: Vec<(String, String)>,
    /// NUT's debug level (`-D` count, `NUT_DEBUG_LEVEL`): 0 logs info and
    /// above, 1 adds debug, 2 and more add trace.
    pub debug: u8,
    /// Where to log; `None` detects it.
    pub sink: Option<Sink>,
}

impl LogConfig {
    /// A config for `ident` at debug level 0.
    pub fn new(ident: impl Into<String>) -> Self {
        LogConfig { ident: ident.into(), fields: Vec::new(), debug: 0, sink: None }
    }

    /// Adds a field to every message.
    pub fn field(mut self, key: &str, value: impl Into<String>) -> Self {
        self.fields.push((key.to_ascii_uppercase(), value.into()));
        self
    }

    /// Sets the debug level.
    pub fn debug(mut self, level: u8) -> Self {
        self.debug = level;
        self
    }
}

/// The debug level from `NUT_DEBUG_LEVEL`, if set and numeric.
pub fn env_debug_level() -> Option<u8> {
    std::env::var("NUT_DEBUG_LEVEL").ok()?.trim().parse().ok()
}

/// Installs the global subscriber. Safe to call more than once (later calls
/// do nothing), which keeps tests simple.
pub fn init(cfg: LogConfig) {
    let level = match cfg.debug.max(env_debug_level().unwrap_or(0)) {
        0 => Level::INFO,
        1 => Level::DEBUG,
        _ => Level::TRACE,
    };
    let sink = cfg.sink.unwrap_or_else(Sink::detect);
    let layer = NutLayer { ident: cfg.ident, fields: cfg.fields, sink, level, capture: None };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct NutLayer {
    ident: String,
    fields: Vec<(String, String)>,
    sink: Sink,
    level: Level,
    /// Tests capture (message, fields) here instead of writing anywhere.
    capture: Option<Captured>,
}

type Captured = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// Collects an event's message and its other fields.
#[derive(Default)]
struct Collect {
    message: String,
    nut: Vec<(String, String)>,
    other: String,
}

impl Visit for Collect {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.add(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.add(field, format!("{value:?}"));
    }
}

impl Collect {
    fn add(&mut self, field: &Field, value: String) {
        let name = field.name();
        if name == "message" {
            self.message = value;
        } else if name.starts_with("nut_") {
            self.nut.push((name.to_ascii_uppercase(), value));
        } else {
            let _ = write!(self.other, " {name}={value}");
        }
    }
}

/// The `nut_*` fields of a span, stored in its extensions.
struct SpanFields(Vec<(String, String)>);

impl<S> Layer<S> for NutLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, id: &tracing::span::Id, ctx: Context<'_, S>) {
        let mut c = Collect::default();
        attrs.record(&mut c);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(c.nut));
        }
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.level() <= &self.level
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().level() > &self.level {
            return;
        }
        let mut c = Collect::default();
        event.record(&mut c);
        let mut fields: Vec<(String, String)> = self.fields.clone();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(sf) = span.extensions().get::<SpanFields>() {
                    fields.extend(sf.0.iter().cloned());
                }
            }
        }
        fields.extend(c.nut);
        let mut text = c.message;
        text.push_str(&c.other);
        if let Some(cap) = &self.capture {
            cap.lock().unwrap_or_else(|e| e.into_inner()).push((text, fields));
            return;
        }
        match self.sink {
            Sink::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
            Sink::Journal => {
                let prio = match *event.metadata().level() {
                    Level::ERROR => Priority::Error,
                    Level::WARN => Priority::Warning,
                    Level::INFO => Priority::Info,
                    _ => Priority::Debug,
                };
                fields.push(("SYSLOG_IDENTIFIER".into(), self.ident.clone()));
                fields.push(("SYSLOG_PID".into(), std::process::id().to_string()));
                if libsystemd::logging::journal_send(prio, &text, fields.iter().map(|(k, v)| (k, v))).is_err() {
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(err, "{text}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_span_and_event_fields_once() {
        let cap = Captured::default();
        let layer = NutLayer {
            ident: "test".into(),
            fields: vec![("NUT_DRIVER".into(), "dummy-ups".into())],
            sink: Sink::Journal,
            level: Level::INFO,
            capture: Some(cap.clone()),
        };
        let sub = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("ups", nut_ups = "myups");
            let _g = span.enter();
            tracing::info!(nut_event = "ONBATT", extra = 3, "UPS myups on battery");
            tracing::debug!("not shown at level 0");
        });
        let got = cap.lock().unwrap();
        assert_eq!(got.len(), 1);
        let (text, fields) = &got[0];
        assert_eq!(text, "UPS myups on battery extra=3");
        let has = |k: &str, v: &str| fields.iter().any(|(a, b)| a == k && b == v);
        assert!(has("NUT_DRIVER", "dummy-ups"), "{fields:?}");
        assert!(has("NUT_UPS", "myups"), "{fields:?}");
        assert!(has("NUT_EVENT", "ONBATT"), "{fields:?}");
    }
}
