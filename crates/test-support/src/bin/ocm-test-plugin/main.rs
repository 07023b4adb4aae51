//! A plugin for tests whose misbehaviour is chosen by its file name (see
//! `ocm_plugin_test_support::Behaviour`). Normally it is an in-memory component version
//! repository for `TestRepository/v1`; with `multi` in its name it serves all six capabilities;
//! with `format-v1` or `format-current` it prints that capabilities format only (and serves
//! `V1Repository/v1`, or `CurrentRepository/v1` with the alias `Current`).

mod more;

use std::{collections::BTreeMap, io::Write, process::ExitCode, sync::Mutex};

use ocm_plugin_contracts::{
    Error, Result, async_trait,
    component_version_repository::v1::{
        AddComponentVersionRequest, ComponentVersionRepository, GetComponentVersionRequest,
        GetIdentityRequest, GetIdentityResponse, ListComponentVersionsRequest,
    },
};
use ocm_plugin_sdk::Plugin;
use ocm_plugin_test_support::Behaviour;
use ocm_plugin_types::{CapabilitiesFormat, Credentials, Descriptor, JsonSchema, Type};

#[derive(Default)]
struct Memory {
    behaviour: Option<Behaviour>,
    store: Mutex<BTreeMap<(String, String), Descriptor>>,
}

#[async_trait]
impl ComponentVersionRepository for Memory {
    async fn get_component_version(
        &self,
        req: GetComponentVersionRequest,
        _: &Credentials,
    ) -> Result<Descriptor> {
        if self.behaviour == Some(Behaviour::PanicOnGet) {
            panic!("get-component-version panics on purpose");
        }
        if self.behaviour == Some(Behaviour::CrashOnGet) {
            eprintln!("crashing in the middle of get-component-version");
            std::process::exit(9);
        }
        if self.behaviour == Some(Behaviour::HangOnGet) {
            std::future::pending::<()>().await;
        }
        let store = self.store.lock().map_err(|_| Error::internal("poisoned"))?;
        store
            .get(&(req.name.clone(), req.version.clone()))
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("{}:{} not found", req.name, req.version)))
    }

    async fn list_component_versions(
        &self,
        req: ListComponentVersionsRequest,
        credentials: &Credentials,
    ) -> Result<Vec<String>> {
        if self.behaviour == Some(Behaviour::Flood) {
            // 1 MiB on stdout after the location line: a manager that stops reading stdout
            // would block this call forever.
            let chunk = vec![b'x'; 64 * 1024];
            let mut out = std::io::stdout().lock();
            for _ in 0..16 {
                out.write_all(&chunk)
                    .map_err(|e| Error::internal_with("flood", e))?;
                out.write_all(b"\n")
                    .map_err(|e| Error::internal_with("flood", e))?;
            }
        }
        // Tells the test which form the credentials arrived in.
        if credentials.contains_key("echo") {
            return Ok(vec![format!(
                "credentials:{}",
                credentials.credential_type().unwrap_or("flat")
            )]);
        }
        if credentials.get("username").map(String::as_str) == Some("forbidden") {
            return Err(Error::Unauthorized("user forbidden may not list".into()));
        }
        let store = self.store.lock().map_err(|_| Error::internal("poisoned"))?;
        Ok(store
            .keys()
            .filter(|(n, _)| *n == req.name)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn add_component_version(
        &self,
        req: AddComponentVersionRequest,
        _: &Credentials,
    ) -> Result<()> {
        if self.behaviour == Some(Behaviour::Forgetful) {
            return Ok(());
        }
        let c = &req.descriptor.component;
        let key = (c.name.clone(), c.version.clone());
        self.store
            .lock()
            .map_err(|_| Error::internal("poisoned"))?
            .insert(key, req.descriptor);
        Ok(())
    }

    async fn get_identity(&self, req: GetIdentityRequest) -> Result<GetIdentityResponse> {
        let mut identity = BTreeMap::new();
        identity.insert("type".to_owned(), "TestRepository".to_owned());
        if let Some(url) = req.typ.get("baseUrl").and_then(|v| v.as_str()) {
            identity.insert("baseUrl".to_owned(), url.to_owned());
        }
        Ok(GetIdentityResponse { identity })
    }
}

/// Blocks this thread for good; the test harness kills the process.
fn hang() -> ! {
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let name = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let behaviour = Behaviour::from_file_name(&name);
    let capabilities = args.get(1).is_some_and(|a| a == "capabilities");
    match (behaviour, capabilities) {
        (Behaviour::CapabilitiesHang, true) => hang(),
        (Behaviour::CapabilitiesGarbage, true) => {
            println!("hello, I am not JSON");
            return ExitCode::SUCCESS;
        }
        (Behaviour::CapabilitiesFail, true) => {
            eprintln!("capabilities refused on purpose");
            return ExitCode::from(3);
        }
        (Behaviour::CrashOnStart, false) => {
            eprintln!("boom");
            return ExitCode::from(7);
        }
        (Behaviour::NoLocation, false) => hang(),
        (Behaviour::CapabilitiesSilent, true) => return ExitCode::SUCCESS,
        (Behaviour::CapabilitiesHuge, true) => {
            let chunk = vec![b' '; 1024 * 1024];
            let mut out = std::io::stdout().lock();
            for _ in 0..20 {
                if out.write_all(&chunk).is_err() {
                    // The reader gave up: that is what this behaviour is for.
                    return ExitCode::SUCCESS;
                }
            }
            return ExitCode::SUCCESS;
        }
        (Behaviour::ExitAfterLocation, false) => {
            println!("http+unix:///nonexistent/ocm-test/plugin.sock");
            eprintln!("gone right after the location");
            return ExitCode::from(5);
        }
        (Behaviour::BadLogs, false) => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"\xff\xfe not utf-8 \xc3\n");
            let _ = err.write_all(b"plain text, not JSON\n");
            let _ = err.write_all(&[b'L'; 1024 * 1024]);
            let _ = err.write_all(b"\n");
            let _ = err.write_all(br#"{"level":5,"msg":{"nested":true},"time":[]}"#);
            let _ = err.write_all(b"\n");
            let _ = err.write_all(br#"{"level":"INFO","msg":"still logging"}"#);
            let _ = err.write_all(b"\n");
        }
        (Behaviour::Flood, false) => {
            // 256 KiB on stderr before the location line: more than a pipe buffer, so a manager
            // that does not drain stderr during the handshake never sees the location.
            let line = format!("{}\n", "e".repeat(1023));
            let mut err = std::io::stderr().lock();
            for _ in 0..256 {
                let _ = err.write_all(line.as_bytes());
            }
        }
        _ => {}
    }
    // The capabilities format, and a type of its own so that one directory can hold all
    // three: `format-v1`, `format-current` (with the alias `Current`), dual otherwise.
    let (format, typ, aliases) = if name.contains("format-v1") {
        (CapabilitiesFormat::V1, "V1Repository/v1", &[][..])
    } else if name.contains("format-current") {
        (
            CapabilitiesFormat::Current,
            "CurrentRepository/v1",
            &["Current"][..],
        )
    } else {
        (CapabilitiesFormat::Dual, "TestRepository/v1", &[][..])
    };
    let parsed: Result<Vec<Type>, _> = std::iter::once(typ)
        .chain(aliases.iter().copied())
        .map(str::parse)
        .collect();
    let (typ, aliases) = match parsed {
        Ok(mut types) => (types.remove(0), types),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let multi = name.contains("multi");
    let mut plugin = Plugin::new(name).capabilities_format(format).register(
        ocm_plugin_sdk::component_version_repository::untyped(
            typ,
            JsonSchema::permissive(),
            move |_ctx| {
                Ok(Memory {
                    behaviour: Some(behaviour),
                    ..Memory::default()
                })
            },
        )
        .aliases(aliases),
    );
    if multi {
        let ty = |s: &str| s.parse::<ocm_plugin_types::Type>();
        let types = (|| {
            Ok::<_, ocm_plugin_types::Error>((
                ty("TestInput/v1")?,
                ty("TestAccess/v1")?,
                ty("TestTransformer/v1")?,
                ty("TestIdentity")?,
                ty("TestCredentials/v1")?,
            ))
        })();
        let Ok((input, access, transformer, consumer, credentials)) = types else {
            return ExitCode::FAILURE;
        };
        let schema = JsonSchema::permissive;
        plugin = plugin
            .register(ocm_plugin_sdk::input::untyped(input, schema(), |_| {
                Ok(more::Input)
            }))
            .register(ocm_plugin_sdk::digest_processor::untyped(
                access.clone(),
                schema(),
                |_| Ok(more::Digester),
            ))
            .register(ocm_plugin_sdk::resource_repository::untyped(
                access,
                schema(),
                |_| Ok(more::Resources),
            ))
            .register(ocm_plugin_sdk::blob_transformer::untyped(
                transformer,
                schema(),
                |_| Ok(more::Transformer),
            ))
            .register(ocm_plugin_sdk::credential_repository::untyped(
                consumer,
                credentials,
                schema(),
                |_| Ok(more::CredentialStore),
            ));
    }
    plugin.run()
}
