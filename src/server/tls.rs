//! STARTTLS with rustls: `CERTFILE` holds the server certificate chain and
//! its private key in PEM. With `CERTREQUEST REQUEST|REQUIRE` and a
//! `CERTPATH` PEM bundle of CA certificates, client certificates are asked
//! for (REQUEST: optional) or required. NSS-style settings (`CERTPATH` as
//! an NSS database directory, `CERTIDENT`) cannot be used with rustls and
//! are reported as errors.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::ServerConfig;

use crate::config::upsd::{CertRequest, UpsdConf};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).with_context(|| format!("can't read {}", path.display()))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: bad PEM", path.display()))?;
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let pem = std::fs::read(path).with_context(|| format!("can't read {}", path.display()))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .with_context(|| format!("{}: bad PEM", path.display()))?
        .ok_or_else(|| anyhow!("{}: no private key found (CERTFILE must hold certificate and key)", path.display()))
}

/// The TLS configuration upsd.conf asks for: `Ok(None)` when no TLS
/// directive is set (STARTTLS then answers `FEATURE-NOT-CONFIGURED`).
pub fn server_config(conf: &UpsdConf) -> Result<Option<Arc<ServerConfig>>> {
    if !conf.wants_tls() {
        return Ok(None);
    }
    let Some(certfile) = &conf.certfile else {
        bail!("TLS: CERTPATH/CERTIDENT are NSS settings, which this upsd cannot use; set CERTFILE to a PEM file with the certificate and its key");
    };
    if conf.certident.is_some() {
        tracing::warn!("TLS: CERTIDENT (NSS) is ignored; the key is read from CERTFILE");
    }
    let certs = read_certs(certfile)?;
    if certs.is_empty() {
        bail!("{}: no certificate found", certfile.display());
    }
    let key = read_key(certfile)?;
    let versions: &[&rustls::SupportedProtocolVersion] = if conf.disable_weak_ssl {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    } else {
        // rustls supports nothing weaker than TLS 1.2 anyway.
        rustls::DEFAULT_VERSIONS
    };
    let builder = ServerConfig::builder_with_provider(provider()).with_protocol_versions(versions)?;
    let builder = match conf.certrequest {
        CertRequest::No => builder.with_no_client_auth(),
        req => {
            let Some(ca) = &conf.certpath else {
                bail!("TLS: CERTREQUEST needs CERTPATH (a PEM file of CA certificates)");
            };
            if ca.is_dir() {
                bail!("TLS: CERTPATH {} is a directory (NSS database); give a PEM CA bundle", ca.display());
            }
            let mut roots = rustls::RootCertStore::empty();
            for c in read_certs(ca)? {
                roots.add(c).context("bad CA certificate in CERTPATH")?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let v = if req == CertRequest::Request { v.allow_unauthenticated() } else { v };
            builder.with_client_cert_verifier(v.build().context("client certificate verifier")?)
        }
    };
    let cfg = builder.with_single_cert(certs, key).context("certificate and key do not match")?;
    Ok(Some(Arc::new(cfg)))
}
