//! The plugin command line: what a manager (or a person) passes to the plugin binary.
//!
//! Accepted forms, matching what Go's `flag` package accepts for the Go test plugins:
//! `capabilities`, `--config <json>`, `--config=<json>`, `-config <json>`, `-config=<json>`, and
//! `--help`/`-h`/`-help`.

use std::ffi::OsString;

use ocm_plugin_types::PluginConfig;

use crate::{Error, Result};

/// What the command line asks for.
#[derive(Debug)]
pub(crate) enum Command {
    /// Print the capabilities document and exit.
    Capabilities,
    /// Print usage and exit.
    Help,
    /// Serve with this configuration.
    Serve(PluginConfig),
}

/// The subcommand a manager runs to learn what the plugin serves.
const CAPABILITIES: &str = "capabilities";
const CONFIG_FLAGS: [&str; 2] = ["--config", "-config"];
const HELP_FLAGS: [&str; 3] = ["--help", "-h", "-help"];

/// Usage text; `{name}` is the plugin's name.
pub(crate) fn usage(name: &str) -> String {
    format!(
        "Usage: {name} capabilities | --config <json>

An OCM plugin. An OCM plugin manager starts it; running it by hand is only useful for debugging.

Commands:
  capabilities      print the capabilities document (JSON) on stdout and exit
  --config <json>   serve over the transport described by <json>
                    (also accepted: --config=<json>, -config <json>, -config=<json>)
  --help            print this help and exit

Environment:
  OCM_PLUGIN_LOG    log filter: `level` and `target=level` directives, comma-separated (default: info); logs go to stderr

Exit codes:
  0  success (capabilities printed, help printed, or served and shut down cleanly)
  1  any error: bad arguments, bad --config, failed setup, failed to listen or serve
"
    )
}

/// Parses the arguments after the program name.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command> {
    let args = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| Error::Usage(format!("argument {a:?} is not valid UTF-8")))
        })
        .collect::<Result<Vec<String>>>()?;
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return Err(Error::Usage(
            "missing command: expected `capabilities` or `--config <json>`".into(),
        ));
    };
    let command = if first == CAPABILITIES {
        Command::Capabilities
    } else if HELP_FLAGS.contains(&first.as_str()) {
        Command::Help
    } else if CONFIG_FLAGS.contains(&first.as_str()) {
        let value = args
            .next()
            .ok_or_else(|| Error::Usage(format!("`{first}` needs a JSON value")))?;
        Command::Serve(parse_config(&value)?)
    } else if let Some(value) = CONFIG_FLAGS
        .iter()
        .find_map(|flag| first.strip_prefix(flag)?.strip_prefix('='))
    {
        Command::Serve(parse_config(value)?)
    } else {
        return Err(Error::Usage(format!(
            "unknown argument `{first}`: expected `capabilities` or `--config <json>`"
        )));
    };
    if let Some(extra) = args.next() {
        return Err(Error::Usage(format!("unexpected argument `{extra}`")));
    }
    Ok(command)
}

fn parse_config(value: &str) -> Result<PluginConfig> {
    if value.trim().is_empty() {
        return Err(Error::Usage("the --config value is empty".into()));
    }
    let config: PluginConfig = serde_json::from_str(value).map_err(Error::InvalidConfig)?;
    if config.id.is_empty() {
        return Err(Error::MissingId);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ocm_plugin_types::ConnectionType;

    use super::*;

    const CONFIG: &str = r#"{"id":"p","type":"unix","pluginType":"","idleTimeout":3600000000000,"configTypes":[{"type":"custom.config/v1","maximumNumberOfPotatoes":"100"}]}"#;

    fn run(args: &[&str]) -> Result<Command> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn accepts_every_go_flag_form() {
        let joined_long = format!("--config={CONFIG}");
        let joined_short = format!("-config={CONFIG}");
        let forms: [&[&str]; 4] = [
            &["--config", CONFIG],
            &["-config", CONFIG],
            &[&joined_long],
            &[&joined_short],
        ];
        for args in forms {
            let Ok(Command::Serve(c)) = run(args) else {
                panic!("{args:?} not accepted");
            };
            assert_eq!(c.id, "p");
            assert_eq!(c.connection, ConnectionType::Unix);
            assert_eq!(c.idle_timeout, Some(Duration::from_secs(3600)));
            assert_eq!(c.config_types.len(), 1);
        }
    }

    #[test]
    fn subcommands() {
        assert!(matches!(run(&["capabilities"]), Ok(Command::Capabilities)));
        for h in HELP_FLAGS {
            assert!(matches!(run(&[h]), Ok(Command::Help)), "{h}");
        }
    }

    #[test]
    fn rejects_with_clear_messages() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "missing command"),
            (&["serve"], "unknown argument `serve`"),
            (&["--config"], "`--config` needs a JSON value"),
            (&["-config"], "`-config` needs a JSON value"),
            (&["--config", ""], "the --config value is empty"),
            (&["--config="], "the --config value is empty"),
            (&["--config", "  "], "the --config value is empty"),
            (
                &["--config", "{"],
                "invalid --config JSON: EOF while parsing",
            ),
            (
                &["--config", r#"{"id":"x","type":"pipe"}"#],
                "invalid --config JSON: unknown variant `pipe`",
            ),
            (&["--config", r#"{"id":"","type":"unix"}"#], "`id` is empty"),
            (&["--config", r#"{"type":"unix"}"#], "`id` is empty"),
            (&["capabilities", "x"], "unexpected argument `x`"),
            (&["--config", CONFIG, "x"], "unexpected argument `x`"),
            (&["--configx"], "unknown argument"),
        ];
        for (args, want) in cases {
            let err = run(args).expect_err(&format!("{args:?} accepted"));
            assert!(err.to_string().contains(want), "{args:?}: {err}");
        }
    }

    #[test]
    fn rejects_non_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let arg = OsString::from_vec(vec![0xff]);
        assert!(matches!(parse([arg]), Err(Error::Usage(_))));
    }

    #[test]
    fn usage_documents_exit_codes() {
        let u = usage("p");
        assert!(u.starts_with("Usage: p capabilities | --config <json>"));
        assert!(u.contains("0  success") && u.contains("1  any error"));
    }
}
