"""The demo certificates chain the way dockerd --tlsverify expects."""
import ssl

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from dockyard import tlscerts


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
