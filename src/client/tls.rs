//! STARTTLS for the client: rustls configuration with certificate
//! verification against a CA file, or — only when asked for, as NUT's
//! clients do by default (`CERTVERIFY 0`) — without verification.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::error::ClientError;

/// When to use TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// Never send STARTTLS (NUT's upsrw/upscmd).
    #[default]
    Off,
    /// Send STARTTLS first; continue in plain text if upsd refuses
    /// (NUT's upsc, upsmon without FORCESSL).
    Try,
    /// Send STARTTLS first; fail if upsd refuses (FORCESSL 1).
    Required,
}

/// How to check the server's certificate once TLS is negotiated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Verify {
    /// Accept any certificate: encryption without authentication. This is
    /// what NUT's clients do unless CERTVERIFY is set.
    #[default]
    None,
    /// Verify the chain against the PEM certificates in this file — or, for
    /// a directory (NUT's `CERTPATH` with OpenSSL), in every file of it —
    /// and the name against the host connected to.
    CaFile(PathBuf),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn add_file(roots: &mut RootCertStore, path: &Path) -> Result<usize, ClientError> {
    let data =
        std::fs::read(path).map_err(|e| ClientError::Tls(format!("cannot read CA file {}: {e}", path.display())))?;
    let mut n = 0;
    for cert in rustls_pemfile::certs(&mut data.as_slice()) {
        let cert = cert.map_err(|e| ClientError::Tls(format!("bad certificate in {}: {e}", path.display())))?;
        roots.add(cert).map_err(|e| ClientError::Tls(format!("bad certificate in {}: {e}", path.display())))?;
        n += 1;
    }
    Ok(n)
}

/// Loads the PEM certificates of a CA file, or of every regular file in a
/// directory (files without certificates are skipped there).
pub fn load_roots(path: &Path) -> Result<RootCertStore, ClientError> {
    let mut roots = RootCertStore::empty();
    let mut n = 0;
    if path.is_dir() {
        let rd = std::fs::read_dir(path)
            .map_err(|e| ClientError::Tls(format!("cannot read CA directory {}: {e}", path.display())))?;
        let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            n += add_file(&mut roots, &f).unwrap_or(0);
        }
    } else {
        n = add_file(&mut roots, path)?;
    }
    if n == 0 {
        return Err(ClientError::Tls(format!("no certificate in {}", path.display())));
    }
    Ok(roots)
}

/// The rustls client configuration for a verification policy.
pub fn client_config(verify: &Verify) -> Result<Arc<ClientConfig>, ClientError> {
    let p = provider();
    let builder = ClientConfig::builder_with_provider(p.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    let cfg = match verify {
        Verify::None => {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAny(p))).with_no_client_auth()
        }
        Verify::CaFile(path) => builder.with_root_certificates(load_roots(path)?).with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// The name to verify for a host (an IP literal or a DNS name).
pub fn server_name(host: &str) -> Result<ServerName<'static>, ClientError> {
    ServerName::try_from(host.to_string()).map_err(|e| ClientError::Tls(format!("invalid server name {host}: {e}")))
}
