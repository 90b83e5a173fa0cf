"""Certificates for a Docker daemon on a TLS socket: a CA, a server cert, client certs.

What `dockerd --tlsverify` needs: the daemon presents a certificate signed by a CA and valid for
the address clients dial (subjectAltName); it accepts only clients whose certificate the same CA
signed for client authentication. Short-lived, made fresh for each demo, never for production.
"""
from __future__ import annotations

import datetime
import ipaddress
import shlex
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class Pair:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())

    def write(self, folder: Path, stem: str) -> tuple[str, str]:
        """Write <stem>-cert.pem and <stem>-key.pem (key readable by the owner only)."""
        folder.mkdir(parents=True, exist_ok=True)
        cert, key = folder / f"{stem}-cert.pem", folder / f"{stem}-key.pem"
        cert.write_bytes(self.cert_pem())
        key.write_bytes(self.key_pem())
        key.chmod(0o600)
        return str(cert), str(key)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: x509.Name, public_key, days: int):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days)))


def make_ca(common_name: str = "dockyard demo CA", days: int = 2) -> Pair:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (_builder(common_name, _name(common_name), key.public_key(), days)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return Pair(cert, key)


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_cert(ca: Pair, common_name: str, hosts: list[str] = (), client: bool = False, days: int = 2) -> Pair:
    """A leaf certificate signed by `ca`: for a server valid on `hosts`, or for a client."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (_builder(common_name, ca.cert.subject, key.public_key(), days)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName(_alt_names(list(hosts))), critical=False)
    return Pair(builder.sign(ca.key, hashes.SHA256()), key)


def openssl_commands(server_hosts: list[str], ca_name: str = "dockyard demo CA",
                     server_name: str = "dockyard demo daemon", client_name: str = "workshop client",
                     days: int = 2) -> list[str]:
    """The openssl commands (OpenSSL 1.1.1 or newer) that make what make_ca and make_cert make, in the
    current folder: ca.pem, server-cert.pem valid for `server_hosts`, client-cert.pem, and their keys
    (EC P-256, as here). Each line works when typed in a shell."""
    sans = ",".join(("IP:" if isinstance(n, x509.IPAddress) else "DNS:") + str(n.value)
                    for n in _alt_names(list(server_hosts)))
    newkey = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {}-key.pem"
    lines = [newkey.format("ca"),
             f"openssl req -new -x509 -sha256 -days {days} -key ca-key.pem -subj {shlex.quote('/CN=' + ca_name)}"
             " -addext 'basicConstraints=critical,CA:TRUE,pathlen:0'"
             " -addext 'keyUsage=critical,digitalSignature,keyCertSign,cRLSign' -out ca.pem"]
    for stem, name, extensions in [
            ("server", server_name, f"extendedKeyUsage=serverAuth\\nsubjectAltName={sans}"),
            ("client", client_name, "extendedKeyUsage=clientAuth")]:
        lines += [newkey.format(stem),
                  f"openssl req -new -key {stem}-key.pem -subj {shlex.quote('/CN=' + name)} -out {stem}.csr",
                  f"printf 'basicConstraints=critical,CA:FALSE\\n{extensions}\\n' > {stem}.ext",
                  f"openssl x509 -req -sha256 -days {days} -in {stem}.csr -CA ca.pem -CAkey ca-key.pem"
                  f" -CAcreateserial -extfile {stem}.ext -out {stem}-cert.pem"]
    return lines


def describe(pair: Pair | x509.Certificate) -> dict:
    """One table row: who the certificate is for, who signed it, what it may be used for."""
    cert = pair.cert if isinstance(pair, Pair) else pair
    try:
        sans = [str(v) for v in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                .get_values_for_type(x509.IPAddress)]
        sans += cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
            .get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    try:
        usages = [u._name for u in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value]
    except x509.ExtensionNotFound:
        usages = ["CA"]
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "valid for": ", ".join(sans) or "-", "usage": ", ".join(usages),
            "expires": cert.not_valid_after_utc.strftime("%Y-%m-%d %H:%M")}
