"""The demo certificates chain the way dockerd --tlsverify expects."""
import shutil
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from dockyard.lessons import tlscerts
def test_server_and_client_certs_are_signed_by_the_ca(tmp_path):
    ca = tlscerts.make_ca()
    server = tlscerts.make_cert(ca, "daemon", ["127.0.0.1", "localhost"])
    client = tlscerts.make_cert(ca, "client", client=True)
    for leaf in (server, client):
        leaf.cert.verify_directly_issued_by(ca.cert)
    sans = server.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    usage = client.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage


def test_written_files_load_into_an_ssl_context(tmp_path):
    ca = tlscerts.make_ca()
    cert, key = tlscerts.make_cert(ca, "daemon", ["127.0.0.1"]).write(tmp_path, "server")
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tmp_path / "ca.pem"))
    context.load_cert_chain(cert, key)
    assert oct((tmp_path / "server-key.pem").stat().st_mode & 0o777) == "0o600"


def test_describe_names_usage_and_hosts():
    ca = tlscerts.make_ca()
    row = tlscerts.describe(tlscerts.make_cert(ca, "daemon", ["127.0.0.1"]))
    assert row["valid for"] == "127.0.0.1" and row["usage"] == "serverAuth"
    assert tlscerts.describe(ca)["usage"] == "CA"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl on this machine")
def test_the_openssl_commands_make_the_same_certificates(tmp_path):
    hosts = ["127.0.0.1", "localhost"]
    for line in tlscerts.openssl_commands(hosts):
        subprocess.run(line, shell=True, cwd=tmp_path, check=True, capture_output=True, timeout=30)
    ca = tlscerts.make_ca()
    ours = {"ca.pem": ca, "server-cert.pem": tlscerts.make_cert(ca, "dockyard demo daemon", hosts=hosts),
            "client-cert.pem": tlscerts.make_cert(ca, "workshop client", client=True)}
    for name, pair in ours.items():
        theirs = x509.load_pem_x509_certificate((tmp_path / name).read_bytes())
        row, their_row = tlscerts.describe(pair), tlscerts.describe(theirs)
        assert {k: v for k, v in row.items() if k != "expires"} == {k: v for k, v in their_row.items() if k != "expires"}
    for name, purpose in [("server-cert.pem", "sslserver"), ("client-cert.pem", "sslclient")]:
        said = subprocess.run(["openssl", "verify", "-CAfile", "ca.pem", "-purpose", purpose, name],
                              cwd=tmp_path, capture_output=True, text=True, timeout=30)
        assert said.stdout.strip() == f"{name}: OK", said.stderr
