"""deploy/k8s.yaml: every resource passes the Kubernetes JSON schema (kubernetes-validate, strict: no
unknown fields), and the pieces agree with each other and with the image (ports, labels, probes, user,
sticky sessions)."""
import pytest
import yaml
from test_dockerfile import DOCKERFILE, ROOT

RESOURCES = list(yaml.safe_load_all((ROOT / "deploy" / "k8s.yaml").read_text()))
BY_KIND = {r["kind"]: r for r in RESOURCES}


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r["kind"])
def test_resource_passes_the_kubernetes_schema(resource):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    kubernetes_validate.validate(resource, kubernetes_validate.utils.latest_version(), strict=True)


def test_service_and_ingress_reach_the_deployments_pods():
    pod = BY_KIND["Deployment"]["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert BY_KIND["Deployment"]["spec"]["selector"]["matchLabels"] == labels
    assert BY_KIND["Service"]["spec"]["selector"] == labels
    container_ports = {p["name"]: p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
    assert container_ports == {"http": 8501}  # the port the image's CMD serves
    service_port = BY_KIND["Service"]["spec"]["ports"][0]
    assert service_port["targetPort"] in container_ports
    backend = BY_KIND["Ingress"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": BY_KIND["Service"]["metadata"]["name"], "port": {"name": service_port["name"]}}


def test_replicas_are_sticky_healthy_and_unprivileged():
    spec = BY_KIND["Deployment"]["spec"]
    assert spec["replicas"] >= 2
    assert BY_KIND["Ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    container = spec["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
    # alive while the job engine restarts (health 503 then): tests/test_engine_dies.py asks it then
    assert container["livenessProbe"]["httpGet"]["path"] == "/_stcore/host-config"
    security = spec["template"]["spec"]["securityContext"]
    assert security["runAsNonRoot"] and f"USER {security['runAsUser']}:" in DOCKERFILE
    env = {e["name"] for e in container["env"]}
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in env  # one secret across replicas


def test_the_tmp_volume_holds_the_upload_budget_and_one_more_upload():
    """The example's /tmp was 256 Mi while one upload could be 200 MB and nothing capped their sum."""
    import tomllib
    pod = BY_KIND["Deployment"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    budget_mib = int(env["CNN_EXPLORER_UPLOAD_BUDGET_MIB"])
    tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")["emptyDir"]
    assert "medium" not in tmp  # on disk: a memory-backed volume would count against the pod's memory limit
    size = tmp["sizeLimit"]
    size_mib = int(size[:-2]) * {"Mi": 1, "Gi": 1024}[size[-2:]]
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    max_upload_mb = settings["server"]["maxUploadSize"]
    assert size_mib * 2**20 >= budget_mib * 2**20 + max_upload_mb * 10**6
