//! One public module per capability kind: its typed trait, its registration functions and the
//! request and response types of its contract.
//!
//! The typed trait and its adapter to the contract differ per kind (their methods are the
//! kind's operations); the four registration functions do not, so [`registrations!`] writes them
//! once for every module.

/// The consumer identity type a registration declares: none, or the parsed argument.
macro_rules! consumer_identity_type {
    ($what:literal) => {
        None
    };
    ($what:literal, $consumer:ident) => {
        Some($crate::registration::parse_type($consumer, || {
            concat!("the consumer identity type of a ", $what).to_owned()
        }))
    };
}

/// The doc line of a registration function that takes the consumer identity type `$consumer`.
macro_rules! consumer_doc {
    ($consumer:ident) => {
        concat!(
            "\n`",
            stringify!($consumer),
            "` is the identity type it resolves credentials for: the capabilities document ",
            "lists it as entry `[0]` and the config type as `[1]`, both with the config's ",
            "schema (Go managers validate the config against entry `[0]`'s)."
        )
    };
}

/// The registration functions of a capability module: `typed`, `typed_async`, `untyped` and
/// `untyped_async`, over the module's typed trait `$typed` (with an adapter `Typed<R>` to the
/// contract trait `raw::$typed`) and its endpoints `Capability`. With `consumer`, each takes
/// the consumer identity type first (the credential repository's); `typed_docs` add to `typed`'s
/// docs.
macro_rules! registrations {
    (
        trait: $typed:ident,
        what: $what:literal,
        contract: $contract:literal
        $(, consumer: $consumer:ident)?
        $(, typed_docs: $(#[$doc:meta])+)?
        $(,)?
    ) => {
        fn typed_handle<R: $typed>(r: R) -> std::sync::Arc<dyn raw::$typed> {
            std::sync::Arc::new(Typed(r))
        }

        fn raw_handle<R: raw::$typed>(r: R) -> std::sync::Arc<dyn raw::$typed> {
            std::sync::Arc::new(r)
        }

        #[doc = concat!("Registers the typed ", $what, " `R` for its spec type `R::Spec`, schema")]
        /// derived; `factory` runs once when the plugin starts serving (never for
        /// `capabilities`), and its error stops the plugin with exit code 1.
        $($(#[$doc])+)?
        $(#[doc = $crate::kinds::consumer_doc!($consumer)])?
        pub fn typed<R, F>(
            $($consumer: impl TryInto<$crate::types::Type, Error: std::fmt::Display>,)?
            factory: F,
        ) -> $crate::Registration
        where
            R: $typed,
            F: FnOnce(&$crate::PluginContext) -> Result<R, $crate::BoxError> + Send + 'static,
        {
            $crate::Registration::typed::<Capability, R::Spec>(
                $crate::kinds::consumer_identity_type!($what $(, $consumer)?),
                $crate::registration::sync::<Capability, _, _>(factory, typed_handle),
            )
        }

        /// [`typed`] with an async factory (one that connects somewhere or reads files before
        /// the plugin serves); the plugin prints its location once every factory has finished.
        pub fn typed_async<R, F, Fut>(
            $($consumer: impl TryInto<$crate::types::Type, Error: std::fmt::Display>,)?
            factory: F,
        ) -> $crate::Registration
        where
            R: $typed,
            F: FnOnce($crate::PluginContext) -> Fut + Send + 'static,
            Fut: std::future::Future<Output = Result<R, $crate::BoxError>> + Send + 'static,
        {
            $crate::Registration::typed::<Capability, R::Spec>(
                $crate::kinds::consumer_identity_type!($what $(, $consumer)?),
                $crate::registration::asynchronous::<Capability, _, _, _>(factory, typed_handle),
            )
        }

        #[doc = concat!("Registers an implementation of the untyped contract (`", $contract, "`)")]
        /// for specs of type `typ` (a [`Type`](crate::types::Type) or its text), with a
        /// hand-written `schema`; the implementation decodes specs itself (see
        /// [`SpecExt`](crate::SpecExt)).
        $(#[doc = $crate::kinds::consumer_doc!($consumer)])?
        pub fn untyped<R, F>(
            $($consumer: impl TryInto<$crate::types::Type, Error: std::fmt::Display>,)?
            typ: impl TryInto<$crate::types::Type, Error: std::fmt::Display>,
            schema: $crate::types::JsonSchema,
            factory: F,
        ) -> $crate::Registration
        where
            R: raw::$typed,
            F: FnOnce(&$crate::PluginContext) -> Result<R, $crate::BoxError> + Send + 'static,
        {
            $crate::Registration::untyped::<Capability>(
                $crate::registration::parse_type(typ, || concat!("the ", $what, " type").to_owned()),
                schema,
                $crate::kinds::consumer_identity_type!($what $(, $consumer)?),
                $crate::registration::sync::<Capability, _, _>(factory, raw_handle),
            )
        }

        /// [`untyped`] with an async factory.
        pub fn untyped_async<R, F, Fut>(
            $($consumer: impl TryInto<$crate::types::Type, Error: std::fmt::Display>,)?
            typ: impl TryInto<$crate::types::Type, Error: std::fmt::Display>,
            schema: $crate::types::JsonSchema,
            factory: F,
        ) -> $crate::Registration
        where
            R: raw::$typed,
            F: FnOnce($crate::PluginContext) -> Fut + Send + 'static,
            Fut: std::future::Future<Output = Result<R, $crate::BoxError>> + Send + 'static,
        {
            $crate::Registration::untyped::<Capability>(
                $crate::registration::parse_type(typ, || concat!("the ", $what, " type").to_owned()),
                schema,
                $crate::kinds::consumer_identity_type!($what $(, $consumer)?),
                $crate::registration::asynchronous::<Capability, _, _, _>(factory, raw_handle),
            )
        }
    };
}

pub(crate) use {consumer_doc, consumer_identity_type, registrations};

pub mod blob_transformer;
pub mod component_lister;
pub mod component_version_repository;
pub mod credential_plugin;
pub mod credential_repository;
pub mod digest_processor;
pub mod input;
pub mod resource_repository;
pub mod signing_handler;
