"""The job engine: every torch computation of the app runs in Ray's worker processes, never in the
web process (which imports no torch). Ray is an existing engine with an embedded default: without
CNN_EXPLORER_RAY_ADDRESS the first call starts a local Ray on this machine (`make run` needs no other
service); with it, the same calls go to that cluster (`ray start --head --resources='{"training": 2}'`,
or the KubeRay operator: docs/deploy.md).

Its parts, each in its module:
- cluster.py: the engine's life. It is supervised: the web process outlives it. When a process of the
  local Ray dies (the kernel's OOM killer, a kill -9) or a cluster's GCS stops answering, `ready()`
  turns false within SUPERVISE_S (the health check answers 503), queries say the engine is restarting,
  and the local Ray is started again (a cluster is joined again once it answers). Jobs of the engine
  that died are lost; a training run's last completed epoch stays in its checkpoint.
- queries.py (`query`): short calls to this process's warm query workers, with a deadline.
- jobs.py (`Job`): a training run or a GPU memory action, one actor each, polled by the page.
- admission.py: the cluster's one door that counts jobs against their limits (`Refused`, `running`).
- memory_cap.py: in a worker, around each call: core's budget and the cap on what it may add to its
  worker's memory (a job past it ends its worker process).
- failures.py: `JobFailed`, what every page shows when the engine cannot give a result.

Worker code lives in app/workers/ and is named by "module.function" (never imported by the web
process).
"""
from .admission import Refused, running
from .cluster import connect, has_gpu, ready
from .failures import JobFailed
from .jobs import Job
from .queries import QUERY_SECONDS, query, warm

__all__ = ["Job", "JobFailed", "QUERY_SECONDS", "Refused", "connect", "has_gpu", "query", "ready", "running",
           "warm"]
