//! `cargo xtask <command>`: project automation with nothing but std and cargo.

mod registry;

use std::{
    env, fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

use anyhow::{Context, Result, bail};

const HELP: &str = "\
cargo xtask <command>

commands:
  e2e            build the example plugins and the example host (dev profile, shared with
                 `cargo test`), lay out a plugin directory, and drive the plugins through the
                 manager (lifecycle scenario, then a pipeline through every capability, then the
                 pipeline's component version copied into a local OCI registry and read back,
                 then signing) and the CLI (list, call, then distribution: two plugins published
                 signed with a plugin registry, searched, installed verified, run under the lock
                 file, a changed one refused and restored, an unsigned one refused). The OCI and
                 distribution scenarios run `docker-registry` ($OCM_DOCKER_REGISTRY, else from
                 PATH); without it they are skipped, or fail when CI is set
  bench          build the plugins with the distribution profile (minutes: fat LTO) and the
                 harness in release, and run every benchmark against floors measured in the same
                 run (raw hyper round trip, spawn + read a line, cp, probe CPU time): discovery
                 cold and with a warm capability cache, cold start, warm calls, manager
                 overhead, 16 concurrent callers, 256 MiB blobs, memory, an install from the
                 registry, run-time trust (bytes read, hashing after a change), and the stripped
                 size of each plugin. Prints a table and writes target/bench/results.json
  bench --quick  the same with few iterations and small blobs, in the dev profile (what CI
                 runs: it checks the harness, not the figures); no dist build: the size rows
                 come from an earlier one in target/dist, if any, and say so
  bench --plugin PATH --spec JSON [--capability C] [--operation O] [--request JSON]
                 cold and warm figures of any plugin binary, next to the same floors; the
                 request is sent as the manager sends it (a component version repository read
                 that names no repository carries the spec); writes
                 target/bench/plugin-results.json
  dist [--out DIR]
                 build the example plugins with the distribution profile (stripped, LTO, one
                 codegen unit), copy them to DIR (default target/dist/plugins) ready for
                 `ocm-plugin publish`, and print each size next to an OCM Go test plugin's
  soak [N]       N start, call, stop cycles (default 1000) against one plugin; fails if open
                 descriptors, child processes or socket files grow (CI runs 60)
";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("e2e") => e2e(),
        Some("bench") => bench(&args[1..]),
        Some("dist") => dist(&args[1..]),
        Some("soak") => soak(args.get(1).map(String::as_str).unwrap_or("1000")),
        Some("help" | "-h" | "--help") | None => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("unknown command {other:?}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The example plugins: (package, binary).
const PLUGINS: [(&str, &str); 9] = [
    ("ocm-example-directory-repository", "directory-repository"),
    ("ocm-example-file-input", "file-input"),
    ("ocm-example-sha256-digester", "sha256-digester"),
    ("ocm-example-gzip-transformer", "gzip-transformer"),
    ("ocm-example-docker-credentials", "docker-credentials"),
    ("ocm-example-local-resources", "local-resources"),
    ("ocm-example-rsa-signing-handler", "rsa-signing-handler"),
    ("ocm-example-local-credentials", "local-credentials"),
    ("ocm-example-oci-repository", "oci-repository"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Builds the example plugins and `drivers` (the programs that run them).
fn cargo_build(profile: &str, drivers: &[&str]) -> Result<PathBuf> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!(
        "==> cargo build --profile {profile} (example plugins, {})",
        drivers.join(", ")
    );
    let status = Command::new(cargo)
        .current_dir(root())
        .args(["build", "--locked", "--profile", profile])
        .args(PLUGINS.iter().flat_map(|(package, _)| ["-p", package]))
        .args(drivers.iter().flat_map(|package| ["-p", package]))
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build failed: {status}");
    }
    let dir = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir().join(dir))
}

/// What the scenarios' output says of the two files [`Scratch`] puts among the plugins, so that
/// their `skipped` and `rejected` lines are not read as failures.
const NOT_PLUGINS: &str = "README.md and notes are not plugins, on purpose: discovery must skip README.md \
     (it has an extension) and reject notes (it is not executable)";

/// A fresh scratch directory with `plugins/` holding the example plugins (and two files that
/// discovery must pass over) and an empty `work/`.
struct Scratch(PathBuf);

impl Scratch {
    fn new(bin: &Path) -> Result<Self> {
        let base = env::temp_dir().join(format!("ocm-xtask-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let plugins = base.join("plugins");
        fs::create_dir_all(&plugins)?;
        fs::create_dir_all(base.join("work"))?;
        for (_, name) in PLUGINS {
            let plugin = plugins.join(name);
            fs::copy(bin.join(name), &plugin)
                .with_context(|| format!("copying {name} from {}", bin.display()))?;
            fs::set_permissions(&plugin, fs::Permissions::from_mode(0o755))?;
        }
        fs::write(
            plugins.join("README.md"),
            "files with an extension are not plugins\n",
        )?;
        fs::write(plugins.join("notes"), "not executable, so not a plugin\n")?;
        let base = fs::canonicalize(&base)?;
        Ok(Self(base))
    }
    fn plugins(&self) -> PathBuf {
        self.0.join("plugins")
    }
    fn work(&self) -> PathBuf {
        self.0.join("work")
    }
    fn registry(&self) -> PathBuf {
        self.0.join("registry")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(stdout)
}

fn e2e() -> Result<()> {
    // Before the build: in CI a missing registry fails at once.
    let registry_binary = registry::locate()?;
    if registry_binary.is_none() {
        registry::missing()?;
    }
    let bin = cargo_build("dev", &["ocm-example-host", "ocm-plugin-cli"])?;
    let scratch = Scratch::new(&bin)?;
    println!("==> plugin directory {}", scratch.plugins().display());
    println!("     {NOT_PLUGINS}");

    println!("==> host program: the manager library end to end");
    let status = Command::new(bin.join("ocm-example-host"))
        .arg("e2e")
        .arg(scratch.plugins())
        .arg(scratch.work())
        .status()
        .context("running ocm-example-host")?;
    if !status.success() {
        bail!("the end-to-end scenario failed: {status}");
    }

    println!("==> host program: the pipeline through every capability");
    let status = Command::new(bin.join("ocm-example-host"))
        .arg("pipeline")
        .arg(scratch.plugins())
        .arg(scratch.work())
        .status()
        .context("running ocm-example-host pipeline")?;
    if !status.success() {
        bail!("the pipeline failed: {status}");
    }

    println!("==> host program: the pipeline's component version into an OCI registry and back");
    // One registry for the OCI and the distribution scenarios.
    let registry = match &registry_binary {
        Some(binary) => {
            let registry = registry::Registry::start(binary, &scratch.registry())
                .with_context(|| format!("starting the OCI registry {}", binary.display()))?;
            println!("     {} serving {}", binary.display(), registry.base_url());
            oci_scenario(&bin, &scratch, &registry)?;
            Some(registry)
        }
        None => {
            println!(
                "SKIPPED: OCI registry scenario: docker-registry is not installed ({})",
                registry::INSTALL
            );
            None
        }
    };

    println!(
        "==> host program: component lister, credential plugin, and component versions signed and verified as OCM does (jsonNormalisation/v4alpha1)"
    );
    let status = Command::new(bin.join("ocm-example-host"))
        .arg("signing")
        .arg(scratch.plugins())
        .arg(scratch.work())
        // What the environment credential source resolves (and the plugins inherit).
        .env("OCM_E2E_REGISTRY_TOKEN", "e2e-token")
        .env("OCM_E2E_REGISTRY_USERNAME", "e2e-user")
        .status()
        .context("running ocm-example-host signing")?;
    if !status.success() {
        bail!("the signing scenario failed: {status}");
    }

    println!("==> command line: ocm-plugin list / call");
    let cli = bin.join("ocm-plugin");
    // The scratch directory holds a non-executable `notes` file on purpose: `list` shows it as
    // rejected and says so with exit status 3.
    println!("     {NOT_PLUGINS}; `list` exits with status 3 for `notes`");
    let listed = Command::new(&cli)
        .arg("list")
        .arg(scratch.plugins())
        .output()
        .context("running ocm-plugin list")?;
    let listing = String::from_utf8_lossy(&listed.stdout);
    print!("{listing}");
    if listed.status.code() != Some(3) || !listing.contains("notes\trejected") {
        bail!(
            "ocm-plugin list: expected exit status 3 with `notes` rejected, got {}: {}",
            listed.status,
            String::from_utf8_lossy(&listed.stderr)
        );
    }
    let unregistered: Vec<&str> = PLUGINS
        .iter()
        .map(|(_, name)| *name)
        .filter(|name| {
            let line = format!("{}\tregistered", scratch.plugins().join(name).display());
            !listing.lines().any(|l| l.starts_with(&line))
        })
        .collect();
    if !unregistered.is_empty() {
        bail!("ocm-plugin list: example plugins not registered: {unregistered:?}");
    }
    let store = scratch.work().join("cli-store");
    fs::create_dir_all(&store)?;
    let spec = format!(
        r#"{{"type":"DirectoryRepository/v1","path":"{}"}}"#,
        store.display()
    );
    let descriptor = r#"{"meta":{"schemaVersion":"v2"},"component":{"name":"acme.org/cli","version":"0.1.0","provider":"acme.org"}}"#;
    let call = |op: &str, extra: &[&str]| -> Result<String> {
        run(Command::new(&cli)
            .arg("call")
            .arg(scratch.plugins())
            .args([
                "component-version-repository",
                op,
                "--spec",
                &spec,
                "--json",
            ])
            .args(extra))
    };
    call("add-component-version", &["--descriptor", descriptor])?;
    let listed = call("list-component-versions", &["--name", "acme.org/cli"])?;
    println!(
        "     list-component-versions acme.org/cli -> {}",
        listed.trim()
    );
    if listed.trim() != r#"["0.1.0"]"# {
        bail!("the CLI listed {listed:?}, expected [\"0.1.0\"]");
    }
    let components = run(Command::new(&cli).arg("call").arg(scratch.plugins()).args([
        "component-lister",
        "list-components",
        "--spec",
        &spec,
        "--json",
    ]))?;
    println!(
        "     component-lister list-components -> {}",
        components.trim()
    );
    if components.trim() != r#"["acme.org/cli"]"# {
        bail!("the CLI listed components {components:?}, expected [\"acme.org/cli\"]");
    }
    let identity = run(Command::new(&cli).arg("call").arg(scratch.plugins()).args([
        "signing-handler",
        "get-signing-identity",
        "--spec",
        r#"{"type":"RSASigningConfiguration/v1alpha1"}"#,
        "--digest",
        r#"{"hashAlgorithm":"SHA-256","normalisationAlgorithm":"none","value":"00"}"#,
        "--name",
        "cli",
        "--json",
    ]))?;
    println!(
        "     signing-handler get-signing-identity -> {}",
        identity.trim()
    );
    if !identity.contains(r#""signature":"cli""#) {
        bail!("unexpected signing identity {identity:?}");
    }

    println!(
        "==> command line: plugins shipped as signed OCM component versions, installed verified, run only as installed"
    );
    match &registry {
        Some(registry) => distribution_scenario(&bin, &scratch, &registry.base_url())
            .map_err(|e| e.context(registry.log_tail()))?,
        None => println!(
            "SKIPPED: distribution scenario: docker-registry is not installed ({})",
            registry::INSTALL
        ),
    }
    println!("e2e: OK");
    Ok(())
}

/// Copies the pipeline's component version into the registry through the OCI repository
/// plugin (`ocm-example-host oci`).
fn oci_scenario(bin: &Path, scratch: &Scratch, registry: &registry::Registry) -> Result<()> {
    let base_url = registry.base_url();
    let status = Command::new(bin.join("ocm-example-host"))
        .arg("oci")
        .arg(scratch.plugins())
        .arg(scratch.work())
        .arg(&base_url)
        .status()
        .context("running ocm-example-host oci")?;
    if !status.success() {
        bail!("the OCI scenario failed: {status}{}", registry.log_tail());
    }
    Ok(())
}

/// Publish two example plugins signed, with a plugin registry; search; install both through the
/// registry, verified, into an empty plugin directory; the manager runs them under the lock
/// file; a changed binary is refused with the reason and restored from the lock file; an
/// unsigned version is refused by `--verify-with`.
fn distribution_scenario(bin: &Path, scratch: &Scratch, base_url: &str) -> Result<()> {
    let cli = bin.join("ocm-plugin");
    let keys = root().join("examples/rsa-signing-handler/testdata");
    let work = scratch.work().join("distribution");
    let installed = work.join("installed");
    fs::create_dir_all(&installed)?;
    let signing_key = work.join("signing-key.json");
    fs::write(
        &signing_key,
        format!(
            r#"{{"privateKeyPEMFile":"{}"}}"#,
            keys.join("signer-a.pem").display()
        ),
    )?;
    let registries = work.join("registries.json");
    let registry_ref = format!("{base_url}//acme.org/plugin-registry");
    let ocm = |args: &[&str]| -> Command {
        let mut command = Command::new(&cli);
        command.args(args);
        command
    };
    let path = |p: &Path| p.to_string_lossy().into_owned();

    for (plugin, description) in [
        ("file-input", "turns files into blobs"),
        ("sha256-digester", "SHA-256 digests of resources"),
    ] {
        let component = format!("acme.org/plugins/{plugin}");
        run(&mut ocm(&[
            "publish",
            &path(&scratch.plugins()),
            &path(&bin.join(plugin)),
            "--repository",
            base_url,
            "--component",
            &component,
            "--version",
            "1.0.0",
            "--description",
            description,
            "--registry",
            &registry_ref,
            "--sign",
            "--credentials-file",
            &path(&signing_key),
        ]))?;
        println!("     published {component}:1.0.0 to {base_url}, signed, in the registry");
    }
    run(&mut ocm(&[
        "registry",
        "add",
        "acme",
        &registry_ref,
        "--config-file",
        &path(&registries),
    ]))?;
    let found = run(&mut ocm(&[
        "search",
        "--with",
        &path(&scratch.plugins()),
        "--config-file",
        &path(&registries),
    ]))?;
    print!("{found}");
    for plugin in ["file-input", "sha256-digester"] {
        if !found.contains(plugin) {
            bail!("search does not list {plugin}: {found}");
        }
    }
    for plugin in ["file-input", "sha256-digester"] {
        run(&mut ocm(&[
            "install",
            plugin,
            "--with",
            &path(&scratch.plugins()),
            "--plugin-dir",
            &path(&installed),
            "--config-file",
            &path(&registries),
            "--verify-with",
            &path(&keys.join("signer-a.pub.pem")),
        ]))?;
        println!("     installed {plugin} through the registry, signature verified");
    }
    let listing = run(&mut ocm(&["list", &path(&installed), "--no-cache"]))?;
    if listing
        .matches("trust: verified against the lock file")
        .count()
        != 2
    {
        bail!("the manager did not verify both installed plugins:\n{listing}");
    }
    println!("     the manager registers both, verified against the lock file");

    // A changed binary is refused, with the reason.
    let changed = installed.join("sha256-digester");
    let mut bytes = fs::read(&changed)?;
    bytes.extend_from_slice(b"changed");
    fs::write(&changed, bytes)?;
    let refused = ocm(&["list", &path(&installed), "--no-cache"])
        .output()
        .context("running ocm-plugin list")?;
    let listing = String::from_utf8_lossy(&refused.stdout);
    if refused.status.code() != Some(3) || !listing.contains("modified since it was installed") {
        bail!(
            "a changed binary was not refused ({}):\n{listing}",
            refused.status
        );
    }
    println!("     a changed binary is refused: modified since it was installed");
    run(&mut ocm(&[
        "install",
        "--with",
        &path(&scratch.plugins()),
        "--plugin-dir",
        &path(&installed),
    ]))?;
    let listing = run(&mut ocm(&["list", &path(&installed), "--no-cache"]))?;
    if listing
        .matches("trust: verified against the lock file")
        .count()
        != 2
    {
        bail!("install from the lock file did not restore the plugin:\n{listing}");
    }
    println!("     install from the lock file restores it");

    // Unsigned: refused by --verify-with, and nothing is installed.
    run(&mut ocm(&[
        "publish",
        &path(&scratch.plugins()),
        &path(&bin.join("file-input")),
        "--repository",
        base_url,
        "--component",
        "acme.org/plugins/file-input",
        "--version",
        "2.0.0",
    ]))?;
    let fresh = work.join("fresh");
    fs::create_dir_all(&fresh)?;
    let unsigned = ocm(&[
        "install",
        &format!("{base_url}//acme.org/plugins/file-input:2.0.0"),
        "--with",
        &path(&scratch.plugins()),
        "--plugin-dir",
        &path(&fresh),
        "--verify-with",
        &path(&keys.join("signer-a.pub.pem")),
    ])
    .output()
    .context("running ocm-plugin install")?;
    let stderr = String::from_utf8_lossy(&unsigned.stderr);
    if unsigned.status.code() != Some(4) || fs::read_dir(&fresh)?.next().is_some() {
        bail!(
            "an unsigned component version was not refused ({}): {stderr}",
            unsigned.status
        );
    }
    println!("     an unsigned version is refused: {}", stderr.trim());
    Ok(())
}

/// The long soak: the suite's soak test with many cycles (CI runs a short variant).
fn soak(cycles: &str) -> Result<()> {
    let cycles: u32 = cycles
        .parse()
        .with_context(|| format!("soak: {cycles:?} is not a number of cycles"))?;
    let status = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args([
            "test",
            "-p",
            "ocm-plugin-test-support",
            "--test",
            "it",
            "--",
            "lifecycle_soak",
            "--nocapture",
        ])
        .env("OCM_SOAK_CYCLES", cycles.to_string())
        .status()
        .context("running the soak test")?;
    if !status.success() {
        bail!("soak failed: {status}");
    }
    Ok(())
}

/// Size of a stripped OCM Go test plugin (`bindings/go` plugin manager's test plugin, built with
/// `-ldflags "-s -w"`), measured when the distribution issue was filed: the reference the
/// distribution sizes are printed against.
const GO_PLUGIN_BYTES: u64 = 12 * 1000 * 1000;

fn dist(args: &[String]) -> Result<()> {
    let out = match args {
        [] => target_dir().join("dist").join("plugins"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => bail!("dist: expected no arguments or `--out DIR` (see cargo xtask help)"),
    };
    let bin = cargo_build("dist", &[])?;
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    println!(
        "\n{:<22} {:>12} {:>9}   (OCM Go test plugin, stripped: {:.1} MB)",
        "plugin",
        "bytes",
        "vs Go",
        mb(GO_PLUGIN_BYTES)
    );
    for (_, name) in PLUGINS {
        let from = bin.join(name);
        let to = out.join(name);
        // A copy, not the build output itself: the next build must not change what was shipped.
        fs::copy(&from, &to)
            .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        fs::set_permissions(&to, fs::Permissions::from_mode(0o755))?;
        let size = fs::metadata(&to)?.len();
        #[allow(clippy::cast_precision_loss)]
        let ratio = size as f64 / GO_PLUGIN_BYTES as f64;
        println!("{name:<22} {size:>12} {ratio:>8.2}x   {:.1} MB", mb(size));
    }
    println!(
        "\n==> {} (publish with `ocm-plugin publish`)",
        out.display()
    );
    Ok(())
}

#[allow(clippy::cast_precision_loss)]
fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn bench(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let any_plugin = args.iter().any(|a| a == "--plugin");
    let profile = if quick { "dev" } else { "release" };
    let bin = cargo_build(profile, &["ocm-plugin-bench"])?;
    // The full run measures the plugins as shipped: built with the distribution profile (fat
    // LTO, one codegen unit: minutes on two cores), for the size rows and every scenario; the
    // harness stays in release. The quick run builds none (see the size rows below).
    let dist = if quick || any_plugin {
        None
    } else {
        Some(cargo_build("dist", &[])?)
    };
    let scratch = Scratch::new(dist.as_deref().unwrap_or(&bin))?;
    let label = if dist.is_some() {
        "dist plugins, release harness"
    } else {
        profile
    };
    let revision = Command::new("git")
        .current_dir(root())
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let out_dir = target_dir().join("bench");
    let mut cmd = Command::new(bin.join("ocm-bench"));
    if any_plugin {
        let passed: Vec<&String> = args.iter().filter(|a| *a != "--quick").collect();
        cmd.arg("plugin")
            .args(passed)
            .arg("--out")
            .arg(out_dir.join("plugin-results.json"));
        if quick {
            cmd.args(["--iterations", "100", "--cold", "10"]);
        }
    } else {
        if let Some(unknown) = args.iter().find(|a| *a != "--quick") {
            bail!("bench: unknown argument {unknown:?} (see cargo xtask help)");
        }
        cmd.arg("run")
            .arg("--plugins")
            .arg(scratch.plugins())
            .arg("--out")
            .arg(out_dir.join("results.json"));
        // The size rows: the full run's dist build; the quick run reuses one made earlier
        // (`cargo xtask dist` or a full bench) if there is one, and says so in each row.
        let dist_dir = target_dir().join("dist");
        if let Some(dist) = &dist {
            cmd.arg("--dist").arg(dist);
        } else {
            cmd.arg("--quick");
            if PLUGINS
                .iter()
                .all(|(_, name)| dist_dir.join(name).is_file())
            {
                cmd.arg("--dist").arg(&dist_dir).arg("--dist-reused");
            }
        }
    }
    let status = cmd
        .arg("--work")
        .arg(scratch.work())
        .args(["--revision", &revision, "--profile", label])
        .status()
        .context("running ocm-bench")?;
    if !status.success() {
        bail!("bench failed: {status}");
    }
    Ok(())
}
