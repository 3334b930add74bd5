"""neo_secret through ansible-playbook against a simulator that serves HTTPS.

A throwaway CA and a server certificate for 127.0.0.1 (IP SAN) signed by it are generated with
``cryptography``; the simulator runs with ``--tls-cert`` / ``--tls-key``, admin API included, so
the counters are read over HTTPS with the CA too.

The environment of this job may point ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` at the system
store: requests uses them whenever ``verify`` is True (even when passed explicitly), so every run
here sets them to empty strings (requests then falls back to certifi) unless a test sets one.
"""
import datetime
import ipaddress

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import BASIC_SEED, SECRET_PERSONAL_GITHUB, Simulator, start_simulator

TASK = "Neo_secret over TLS"
# The personal GITHUB_TOKEN of alice is seeded with default_available true: false is a change.
FLIP = {"secret_name": "GITHUB_TOKEN", "default_available": False}
NO_CA_ENV = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""}


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory):
    """Write ca.pem, server.pem and server-key.pem (P-256) to ``directory``; return their paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("neo test CA"))
        .issuer_name(_name("neo test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server-key.pem"}
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    return paths


class TlsSimulator(Simulator):
    """The conftest handle, with admin calls verified against the throwaway CA.

    ``verify`` is passed per request: a ``Session.verify`` would lose to REQUESTS_CA_BUNDLE.
    """

    def __init__(self, simulator, ca_file):
        super().__init__(simulator.process, simulator.url, simulator.log_path)
        self.ca_file = str(ca_file)

    def admin(self, method, path, payload=None):
        response = requests.request(method, self.url + "/_sim/" + path, json=payload, timeout=10, verify=self.ca_file)
        response.raise_for_status()
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def tls_simulator_process(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    pki = make_pki(directory)
    simulator = TlsSimulator(start_simulator(BASIC_SEED, directory / "simulator.log", "--tls-cert", str(pki["cert"]),
                                             "--tls-key", str(pki["key"])), pki["ca"])
    yield simulator
    simulator.stop()


@pytest.fixture
def tls_sim(tls_simulator_process):
    """The TLS simulator (basic seed), reset before each test."""
    tls_simulator_process.reset()
    return tls_simulator_process


def test_simulator_serves_https_only_with_its_ca(tls_sim):
    assert tls_sim.url.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_sim.url + "/_sim/counters", timeout=10, verify=requests.certs.where())
    assert tls_sim.counters()["total"] == 0


def test_default_validate_certs_without_ca_fails(tls_sim, run_playbook):
    """The default (validate_certs true, system/certifi store) refuses the unknown CA: one line, nothing reached the API."""
    run = run_playbook(tls_sim, "tls.yml", FLIP, extra_env=NO_CA_ENV)
    assert run.rc != 0
    assert run.status(TASK) == "failed"
    msg = run.task(TASK)["msg"]
    assert "TLS certificate verification failed" in msg
    assert "\n" not in msg
    assert tls_sim.counters()["total"] == 0 and tls_sim.writes() == 0
    assert tls_sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is True


def _assert_flipped(run, sim):
    assert run.rc == 0, run.stdout + run.stderr
    result = run.task(TASK)
    assert result["changed"] is True
    assert "warnings" not in result
    assert sim.writes() == 1
    assert sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is False


def test_ca_path_option(tls_sim, run_playbook):
    _assert_flipped(run_playbook(tls_sim, "tls.yml", dict(FLIP, neo_ca_path=tls_sim.ca_file), extra_env=NO_CA_ENV), tls_sim)


def test_neo_ca_path_env(tls_sim, run_playbook):
    _assert_flipped(run_playbook(tls_sim, "tls.yml", FLIP, extra_env=dict(NO_CA_ENV, NEO_CA_PATH=tls_sim.ca_file)), tls_sim)


def test_requests_ca_bundle_env(tls_sim, run_playbook):
    """Without ca_path the client verifies against REQUESTS_CA_BUNDLE (else CURL_CA_BUNDLE), read once per
    client where requests would read it for every request, as the connection docs say."""
    _assert_flipped(run_playbook(tls_sim, "tls.yml", FLIP, extra_env=dict(NO_CA_ENV, REQUESTS_CA_BUNDLE=tls_sim.ca_file)), tls_sim)


def test_validate_certs_false_warns_once(tls_sim, run_playbook):
    run = run_playbook(tls_sim, "tls.yml", dict(FLIP, neo_validate_certs=False), extra_env=NO_CA_ENV)
    assert run.rc == 0, run.stdout + run.stderr
    result = run.task(TASK)
    assert result["changed"] is True
    assert result["warnings"] == ["validate_certs is false: the TLS certificate of %s is not verified" % tls_sim.url]
    for output in (run.stdout, run.stderr):
        assert "InsecureRequestWarning" not in output
        assert "Unverified HTTPS request" not in output
    assert tls_sim.writes() == 1
    assert tls_sim.secret(SECRET_PERSONAL_GITHUB)["default_available"] is False


def test_missing_ca_path_fails_before_any_request(tls_sim, run_playbook, tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    run = run_playbook(tls_sim, "tls.yml", dict(FLIP, neo_ca_path=missing), extra_env=NO_CA_ENV)
    assert run.rc != 0
    assert run.status(TASK) == "failed"
    msg = run.task(TASK)["msg"]
    assert "ca_path: no such file or directory" in msg and missing in msg
    assert "\n" not in msg
    assert tls_sim.counters()["total"] == 0
