"""HTTPS for ``teddy-xray serve --tls``: a self-signed certificate made once per data dir.

Browsers give web pages the camera only in a secure context (``https://`` or localhost),
so a tablet at the booth needs HTTPS to scan QR codes and take photos. The certificate
names this machine's host names and LAN addresses; it is kept in ``{data_dir}/tls/`` and
reused on every start, so a device told to trust it once keeps trusting it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_DIR = "tls"
CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
VALID_DAYS = 3650  # a booth is set up once and used for years; nobody renews a LAN cert


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate and key on disk, with the fingerprints a volunteer or a test checks."""

    certfile: Path
    keyfile: Path

    @property
    def sha256(self) -> str:
        """The certificate's SHA-256 fingerprint, as browsers show it (AA:BB:...)."""
        der = x509.load_pem_x509_certificate(self.certfile.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
        return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())

    @property
    def spki_sha256(self) -> str:
        """Base64 SHA-256 of the public key, as ``--ignore-certificate-errors-spki-list`` takes."""
        cert = x509.load_pem_x509_certificate(self.certfile.read_bytes())
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def names(self) -> list[str]:
        """Return the host names and addresses the certificate is valid for."""
        cert = x509.load_pem_x509_certificate(self.certfile.read_bytes())
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return [str(n) for n in alt.get_values_for_type(x509.DNSName)] + [
            str(a) for a in alt.get_values_for_type(x509.IPAddress)
        ]

    def client_context(self) -> ssl.SSLContext:
        """Return a client context that trusts exactly this certificate (for the own worker).

        The built-in worker connects to the loopback address, which a real certificate
        does not name; trusting only this certificate pins the peer instead.
        """
        context = ssl.create_default_context(cafile=str(self.certfile))
        context.check_hostname = False
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a real leaf is no root
        return context


def machine_names(extra: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Return ``(host names, IP addresses)`` this machine is likely reached by on its LAN."""
    hostname = socket.gethostname()
    names = {"localhost", hostname, f"{hostname}.local", socket.getfqdn()}
    addresses = {"127.0.0.1", "::1"}
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(hostname, None):
            addresses.add(str(info[4][0]))
    for value in extra:
        try:
            addresses.add(str(ipaddress.ip_address(value)))
        except ValueError:
            names.add(value)
    addresses.discard("0.0.0.0")  # noqa: S104
    addresses.discard("::")
    return sorted(n for n in names if n), sorted(addresses)


def ensure_certificate(data_dir: Path, extra_names: tuple[str, ...] = ()) -> Certificate:
    """Return the certificate of ``data_dir``, making a self-signed one on the first call.

    The key file is written with mode 0600; an existing pair is reused as it is.
    """
    folder = data_dir / TLS_DIR
    cert = Certificate(folder / CERT_NAME, folder / KEY_NAME)
    if cert.certfile.is_file() and cert.keyfile.is_file():
        return cert
    folder.mkdir(parents=True, exist_ok=True)
    names, addresses = machine_names(extra_names)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Teddy X-Ray booth"),
            x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "localhost"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    alt = [x509.DNSName(n) for n in names] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in addresses
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(cert.keyfile, key_pem, 0o600)
    _write(cert.certfile, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically with ``mode`` (the key never readable by others)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, mode)  # noqa: PTH101  (the umask may have masked bits off)
    tmp.replace(path)
