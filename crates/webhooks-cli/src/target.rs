//! The one place the global options become a library [`Client`]: credentials, auth, region or
//! base URL, sub-account.

use webhooks_ergonomic::auth::HmacAlgorithm;
use webhooks_ergonomic::{AuthMode, Client, Region};

use webhooks_sandbox::client::SandboxClient;

use crate::cli::{AuthArg, GlobalArgs, RegionArg, Secret};
use crate::failure::Failure;

/// Read when neither `--region` nor `--base-url` is given, as the library's `from_env` does.
const BASE_URL_VAR: &str = "MESSAGEMEDIA_BASE_URL";

/// The API key and base URL the client will use, for `-v` (the secret is only said to be set).
pub fn describe(global: &GlobalArgs) -> String {
    format!(
        "target {} as API key {} ({}, secret {}){}",
        region(global).base_url(),
        global.api_key.as_deref().unwrap_or("<unset>"),
        auth_name(global.auth.unwrap_or(AuthArg::Hmac)),
        if global.api_secret().is_some() {
            "set, not shown"
        } else {
            "unset"
        },
        global
            .account
            .as_deref()
            .map(|account| format!(" for account {account}"))
            .unwrap_or_default()
    )
}

/// A client for the global options; missing credentials are a usage error.
pub fn connect(global: &GlobalArgs) -> Result<Client, Failure> {
    let (key, secret) = credentials(global)?;
    let mut builder = Client::builder()
        .credentials(key, secret.expose())
        .region(region(global))
        .auth(auth_mode(global.auth.unwrap_or(AuthArg::Hmac)))
        .user_agent(concat!("mm-webhooks/", env!("CARGO_PKG_VERSION")));
    if let Some(account) = &global.account {
        builder = builder.account(account);
    }
    Ok(builder.build()?)
}

/// A client of a sandbox's own endpoints (`trigger`), for the same base URL, credentials and
/// account; only a `--base-url` (or `MESSAGEMEDIA_BASE_URL`) can name a sandbox.
pub fn sandbox_client(global: &GlobalArgs) -> Result<SandboxClient, Failure> {
    let Region::Custom(base_url) = region(global) else {
        return Err(Failure::Usage(format!(
            "this command needs a sandbox: give --base-url or {BASE_URL_VAR}"
        )));
    };
    let (key, secret) = credentials(global)?;
    let client = SandboxClient::new(base_url, key, secret.expose());
    Ok(match &global.account {
        Some(account) => client.for_account(account),
        None => client,
    })
}

/// The account a request acts for: the sub-account, or the key's own (as the API decides).
pub fn account(global: &GlobalArgs) -> &str {
    global
        .account
        .as_deref()
        .or(global.api_key.as_deref())
        .unwrap_or_default()
}

/// Whether both the API key and the secret are given.
pub fn has_credentials(global: &GlobalArgs) -> bool {
    credentials(global).is_ok()
}

fn credentials(global: &GlobalArgs) -> Result<(&str, Secret), Failure> {
    let key = global.api_key.as_deref().filter(|key| !key.is_empty());
    match (key, global.api_secret()) {
        (Some(key), Some(secret)) => Ok((key, secret)),
        _ => Err(Failure::Usage(
            "no credentials: set MESSAGEMEDIA_API_KEY and MESSAGEMEDIA_API_SECRET (or --api-key and --api-secret)".to_owned(),
        )),
    }
}

fn region(global: &GlobalArgs) -> Region {
    match (global.region, &global.base_url) {
        (_, Some(url)) => Region::Custom(url.clone()),
        (Some(RegionArg::Legacy), None) => Region::Legacy,
        (Some(RegionArg::Eu), None) => Region::Eu,
        (Some(RegionArg::Apac), None) => Region::Apac,
        (None, None) => std::env::var(BASE_URL_VAR)
            .ok()
            .filter(|url| !url.is_empty())
            .map_or(Region::Legacy, Region::Custom),
    }
}

fn auth_mode(auth: AuthArg) -> AuthMode {
    match auth {
        AuthArg::Hmac => AuthMode::Hmac(HmacAlgorithm::Sha1),
        AuthArg::HmacSha256 => AuthMode::Hmac(HmacAlgorithm::Sha256),
        AuthArg::Basic => AuthMode::Basic,
    }
}

fn auth_name(auth: AuthArg) -> &'static str {
    match auth {
        AuthArg::Hmac => "HMAC-SHA1",
        AuthArg::HmacSha256 => "HMAC-SHA256",
        AuthArg::Basic => "Basic",
    }
}
