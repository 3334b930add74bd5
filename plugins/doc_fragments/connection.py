# Copyright: projectdiscovery.neo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every module of the collection."""

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the Neo API, without C(/api/v1).
      - If not set, the value of the E(NEO_API_URL) environment variable of the controller is used.
    type: str
    default: https://neo.api.projectdiscovery.io
  api_key:
    description:
      - Neo API key (C(neo_sk_...)), sent as the C(X-Api-Key) header.
      - Exactly one of O(api_key) and O(api_token) must be given. When neither is given as an option,
        the E(NEO_API_KEY) or E(NEO_API_TOKEN) environment variable of the controller is used
        (setting both variables is an error).
    type: str
  api_token:
    description:
      - Neo session JWT, sent in the C(Authorization) header as a bearer token.
      - Exactly one of O(api_key) and O(api_token) must be given. When neither is given as an option, the
        E(NEO_API_KEY) or E(NEO_API_TOKEN) environment variable of the controller is used, see O(api_key).
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the API.
      - If not set, the value of the E(NEO_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle file (or a directory of CA certificates) to verify the TLS certificate of the API with,
        instead of the system store.
      - Ignored when O(validate_certs) is false.
      - If not set, the value of the E(NEO_CA_PATH) environment variable of the controller is used. When neither
        is given, the bundle in E(REQUESTS_CA_BUNDLE), else in E(CURL_CA_BUNDLE), is used, as C(requests) does.
    version_added: 0.2.0
    type: path
  timeout:
    description:
      # Quoted: an unquoted ": " would turn this line into a mapping.
      - 'Seconds one whole request may take: connecting, the response headers and the whole body; a slower
        answer counts as a time-out and is retried like one (see O(retries)).'
    type: int
    default: 30
  retries:
    description:
      - How many times to retry one request that failed with HTTP 429, 500, 502, 503 or 504, a dropped
        connection or a time-out. Waits grow exponentially with jitter, honour C(Retry-After), and each
        wait is capped at 30 seconds. V(0) turns retries off.
      - Writes are only retried where that is safe, see the user guide.
    type: int
    default: 5
notes:
  - All modules of this collection run on the controller (they are action plugins), whatever host the
    play targets, so the E(NEO_*) environment variables are read from the controller's environment. In AWX
    this is where a credential's injectors put them.
  - Requires the Python library C(requests) on the controller (in AWX, in the execution environment).
"""
