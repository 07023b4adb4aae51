//! How a registry or runtime failure surfaces through a contract trait.

use ocm_plugin_contracts::{Error as ContractError, ErrorKind};

use crate::Error;

/// Maps a failure to the contract error a caller matches on: the plugin's 400/401/404 keep their
/// meaning (a 501 of a call is [`call_error`]'s) (with the plugin id and operation in the text); everything else stays the rich
/// [`Error`], boxed in [`ContractError::Remote`] so it can be downcast.
pub(crate) fn to_contract_error(error: Error) -> ContractError {
    match &error {
        Error::Validation { .. } | Error::MissingType { .. } => {
            ContractError::InvalidArgument(error.to_string())
        }
        Error::Plugin(e) => match e.status() {
            Some(400) => ContractError::InvalidArgument(error.to_string()),
            Some(401) => ContractError::Unauthorized(error.to_string()),
            Some(404) => ContractError::NotFound(error.to_string()),
            _ => remote(error),
        },
        _ => remote(error),
    }
}

/// The rich error, boxed, with the kind a caller reacts to.
fn remote(error: Error) -> ContractError {
    ContractError::Remote {
        kind: kind(&error),
        source: Box::new(error),
    }
}

/// What kind of failure a registry or runtime error is ([`Error::kind`]).
pub(crate) fn kind(error: &Error) -> ErrorKind {
    use ocm_plugin_runtime::Error as Runtime;
    match error {
        Error::MissingType { .. }
        | Error::NotRegistered { .. }
        | Error::Validation { .. }
        | Error::InvalidConsumerIdentity { .. }
        | Error::UnsupportedLocationType(_)
        | Error::PathDoesNotExist(_) => ErrorKind::InvalidInput,
        Error::Plugin(e) => match e {
            Runtime::CallTimeout { .. } => ErrorKind::Timeout,
            Runtime::Spawn { .. }
            | Runtime::Capabilities { .. }
            | Runtime::ExitedBeforeReady { .. }
            | Runtime::ExitedEarly { .. }
            | Runtime::StartTimeout { .. }
            | Runtime::Health { .. }
            | Runtime::Connect { .. }
            | Runtime::CoolingDown { .. }
            | Runtime::Stopped { .. } => ErrorKind::Unavailable,
            Runtime::Validation { .. } | Runtime::Schema { .. } => ErrorKind::InvalidInput,
            Runtime::Status { status: 501, .. } => ErrorKind::Unsupported,
            Runtime::Status { status: 503, .. } => ErrorKind::Unavailable,
            Runtime::Status { status: 504, .. } => ErrorKind::Timeout,
            _ => ErrorKind::Internal,
        },
        _ => ErrorKind::Internal,
    }
}

/// Maps the failure of a call of `operation`: a plugin's 501 is [`ContractError::Unsupported`],
/// exactly as an in-process implementation that lacks the operation fails, so a caller matches
/// one variant wherever the implementation runs; everything else as [`to_contract_error`].
pub(crate) fn call_error(error: Error, operation: &'static str) -> ContractError {
    if let Error::Plugin(e) = &error
        && e.status() == Some(501)
    {
        tracing::debug!(operation, error = %error, "the plugin does not support the operation");
        return ContractError::Unsupported(operation);
    }
    to_contract_error(error)
}
