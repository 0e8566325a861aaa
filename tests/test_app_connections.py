"""AppTest of the Connections page: heatmaps equal core's for the shipped checkpoints, the
normalisation switch and the link, and uploads that core refuses (corrupt, hostile, not a DenseNet)."""
import pathlib

import pytest
import torch
from app_support import errors, figure, slide_captions, start, uploader, widget
from conftest import hostile_pickle, shipped

import core
from app.components.heatmaps import to_csv as heatmaps_csv
from app.components.i18n import STRINGS
from core.attribution import EXPLANATIONS
from core.checkpoints import load_checkpoint, save_checkpoint
from core.connectivity import connection_strength

CONNECTIONS = "views/connections.py"
FIG5 = shipped("densenet_fig5")


def heatmaps(at) -> list[dict]:
    return [figure(at, i) for i in range(len(at.get("plotly_chart")))]


def weight_figures(at) -> list[dict]:
    return [f for f in heatmaps(at) if "Weight-based" in f["layout"]["title"]["text"]]


def expected(path: pathlib.Path, normalize: str) -> list[list]:
    checkpoint = load_checkpoint(path)
    return [b["matrix"] for b in connection_strength(checkpoint.state_dict, normalize,
                                                     checkpoint.metadata)["blocks"]]


def upload(at, name: str, data: bytes):
    uploader(at, "ckpt.upload").set_value((name, data, "application/octet-stream"))
    return at.run()


@pytest.fixture(scope="module")
def page():
    return start(page=CONNECTIONS)


def test_default_shows_fig5_weight_heatmaps_equal_to_core(page):
    assert not errors(page)
    weights = weight_figures(page)
    assert [f["data"][0]["z"] for f in weights] == expected(FIG5, "none")
    layout = weights[0]["layout"]
    assert layout["xaxis"]["title"]["text"] == "target layer ℓ"
    assert layout["yaxis"]["title"]["text"] == "source layer s"
    assert weights[0]["data"][0]["colorbar"]["title"]["text"] == "mean |w|"
    assert layout["shapes"][0]["type"] == "rect"  # the transition column is outlined
    assert weights[-1]["layout"]["xaxis"]["ticktext"][-1] == "classif."
    assert dict(page.query_params) == {"lang": "en", "ckpt": "densenet_fig5", "norm": "none"}


def test_colour_scales_start_at_zero_and_share_one_range_per_kind(page):
    """Fig. 5 block 1 spans 0.924–1.0 under "÷ column maximum": a palette over that span showed a
    7.6 % difference as "no connection"."""
    for fig in heatmaps(page):
        trace = fig["data"][0]
        values = [v for row in trace["z"] for v in row if v is not None]
        assert trace["zmin"] == 0 and trace["zmax"] >= max(values)
    weights = weight_figures(page)
    assert len({f["data"][0]["zmax"] for f in weights}) == 1  # one colour = one value on the page


def test_data_minimum_scale_is_the_users_choice_and_kept_in_the_link():
    at = start({"norm": "target", "zmin": "data"}, page=CONNECTIONS)
    block1 = weight_figures(at)[0]["data"][0]
    assert block1["zmin"] == pytest.approx(min(v for block in expected(FIG5, "target") for row in block
                                               for v in row if v is not None))
    assert at.query_params["zmin"] == ["data"] or at.query_params["zmin"] == "data"
    widget(at, "conn.from_data_min").set_value(False).run()
    assert weight_figures(at)[0]["data"][0]["zmin"] == 0 and "zmin" not in at.query_params


def test_page_says_which_of_the_papers_observations_hold_for_this_checkpoint(page):
    from core.connectivity import paper_observations
    checkpoint = load_checkpoint(FIG5)
    found = paper_observations(connection_strength(checkpoint.state_dict, "target", checkpoint.metadata))
    text = next(m.value for m in page.markdown if "four observations" in m.value)
    assert FIG5.name in text
    verdicts = [line.rsplit("**", 2)[1] for line in text.splitlines() if line.startswith("1. ")]
    assert verdicts == [{True: "holds here", False: "does not hold here"}[o["holds"]] for o in found]


def test_attribution_heatmaps_are_shares_beside_the_weights(page):
    shares = [f for f in heatmaps(page) if "Attribution-based" in f["layout"]["title"]["text"]]
    assert len(shares) == len(weight_figures(page)) == 3
    for f in shares:
        assert f["data"][0]["colorbar"]["title"]["text"] == "share of column"
        columns = zip(*f["data"][0]["z"], strict=True)
        assert all(sum(v for v in col if v is not None) == pytest.approx(1) for col in columns)


def test_explanations_are_cores_paragraphs(page):
    assert STRINGS["conn.explain_weights"][0] == EXPLANATIONS["weights"]
    assert STRINGS["conn.explain_attribution"][0] == EXPLANATIONS["attribution"]
    assert {i.value for i in page.info} >= set(EXPLANATIONS.values())


def test_normalisation_switch_and_link():
    at = start(page=CONNECTIONS)
    widget(at, "conn.normalize").set_value("÷ column maximum").run()
    assert [f["data"][0]["z"] for f in weight_figures(at)] == expected(FIG5, "target")
    assert at.query_params["norm"] == "target"
    bc = shipped("densenet_bc")
    again = start({"ckpt": "densenet_bc", "norm": "global", "lang": "zh"}, page=CONNECTIONS)
    assert not errors(again)
    assert again.session_state["ckpt.choice"] == "densenet_bc"
    assert [f["data"][0]["z"] for f in heatmaps(again)[::2]] == expected(bc, "global")
    assert again.title[0].value == "训练后 DenseNet 的连接强度"


def truncated_pth(tmp_path) -> bytes:
    path = tmp_path / "w.pth"
    torch.save(load_checkpoint(FIG5).state_dict, path)
    return path.read_bytes()[:5000]


@pytest.mark.parametrize("name, damaged, message", [
    ("broken.safetensors", lambda _: FIG5.read_bytes()[:5000],
     "broken.safetensors is not a valid safetensors file"),
    ("weights.pth", truncated_pth, "weights.pth cannot be read as a PyTorch file"),
])
def test_corrupt_upload_shows_cores_message_and_the_page_keeps_working(tmp_path, name, damaged, message):
    """A refused upload is removed at once (five tabs' refused 180 MB files held 900 of the class's
    1,024 MiB until the tabs closed) and the choice before it stays."""
    from app.services.checkpoints import UPLOADS_ROOT
    at = upload(start(page=CONNECTIONS), name, damaged(tmp_path))
    assert not at.exception
    assert len(errors(at)) == 1 and errors(at)[0].startswith(message)
    assert at.session_state["ckpt.choice"] == "densenet_fig5" and weight_figures(at)
    assert not list(UPLOADS_ROOT.glob(f"*/upload-*/{name}"))
    at.run()
    assert not errors(at)  # said once


def test_hostile_pickle_upload_is_refused_and_runs_nothing(tmp_path):
    path, marker = hostile_pickle(tmp_path)
    at = upload(start(page=CONNECTIONS), "evil.pt", path.read_bytes())
    assert not at.exception
    assert "refused" in errors(at)[0]
    assert not marker.exists()


def test_resnet_checkpoint_is_named_as_such(tmp_path):
    config = core.get_config("resnet20_cifar", in_channels=1)
    path = tmp_path / "resnet.safetensors"
    save_checkpoint(path, core.build_model(config), config, "digits", 1, 0.5)
    at = upload(start(page=CONNECTIONS), "resnet.safetensors", path.read_bytes())
    assert errors(at) == ["heatmap applies to DenseNets; this checkpoint is a ResNet"]
    assert not at.get("plotly_chart")


def test_csv_holds_every_connected_cell():
    data = connection_strength(load_checkpoint(FIG5).state_dict, "target")
    rows = heatmaps_csv({"weights": data}).decode().splitlines()
    cells = sum(v is not None for b in data["blocks"] for row in b["matrix"] for v in row)
    assert rows[0] == "kind,scale,block,source,target,value" and len(rows) == 1 + cells
    assert rows[1].startswith("weights,target,dense block 1,block input,layer 1,")


def test_a_session_checkpoint_link_opens_the_default_elsewhere_with_a_note():
    at = start({"ckpt": "trained"}, page=CONNECTIONS)
    assert at.session_state["ckpt.choice"] == "densenet_fig5"
    assert "belongs to another session" in at.info[0].value
    assert not errors(at)


def test_an_upload_past_the_servers_file_budget_is_refused_with_a_message(monkeypatch):
    """A 190 MB upload held 191 MB of /tmp until well after its session ended; nothing capped the sum."""
    from app import services
    monkeypatch.setattr(services.checkpoints, "UPLOAD_BUDGET_MIB", 0)
    at = upload(start(page=CONNECTIONS), "big.safetensors", FIG5.read_bytes())
    assert not at.exception
    assert errors(at)[0].startswith("Not uploaded: the server's files already take")
    assert at.session_state["ckpt.choice"] == "densenet_fig5" and weight_figures(at)


def test_a_session_whose_folder_went_while_it_was_away_is_told_and_can_upload_again():
    """The session watch removes a session's folder once no browser has shown it for UNWATCHED_S
    (tests/test_hostile_sessions.py); a browser coming back later, within Streamlit's time for a
    reconnect, finds its upload gone: the page says so once and falls back, and a new upload works."""
    import shutil
    at = upload(start(page=CONNECTIONS), "mine.safetensors", FIG5.read_bytes())
    assert at.session_state["ckpt.choice"] == "uploaded"
    folder = pathlib.Path(at.session_state["ckpt.uploaded_path"]).parent.parent  # the session's
    shutil.rmtree(folder)  # as the watch does
    at.run()
    assert not at.exception and not errors(at)
    gone = ("This session's uploaded and trained checkpoints were removed while no browser showed it for "
            "more than 60 s; upload or train again.")
    assert at.info[0].value == gone
    assert at.session_state["ckpt.choice"] == "densenet_fig5"
    assert "uploaded" not in widget(at, "ckpt.choice").options and weight_figures(at)
    at.run()
    assert gone not in [i.value for i in at.info]  # said once
    at = upload(at, "again.safetensors", FIG5.read_bytes())
    assert at.session_state["ckpt.choice"] == "uploaded" and folder.is_dir() and weight_figures(at)


def test_a_session_keeps_its_latest_upload_and_a_refused_one_leaves_the_previous():
    from app.services.checkpoints import UPLOADS_ROOT
    at = upload(start(page=CONNECTIONS), "first.safetensors", FIG5.read_bytes())
    first = pathlib.Path(at.session_state["ckpt.uploaded_path"])
    at = upload(at, "second.safetensors", FIG5.read_bytes())
    second = pathlib.Path(at.session_state["ckpt.uploaded_path"])
    assert second.exists() and not first.exists() and at.session_state["ckpt.choice"] == "uploaded"
    at = upload(at, "second.safetensors", FIG5.read_bytes()[:5000])  # the same name, refused
    assert errors(at)[0].startswith("second.safetensors is not a valid safetensors file")
    assert second.exists() and at.session_state["ckpt.uploaded_path"] == str(second)
    assert at.session_state["ckpt.choice"] == "uploaded" and weight_figures(at)
    assert len(list(UPLOADS_ROOT.glob("*/upload-*/second.safetensors"))) == 1


def test_one_users_sessions_share_their_own_part_of_the_upload_space(monkeypatch, tmp_path):
    """Five tabs of one student held 900 of the class's 1,024 MiB; now one user's sessions together
    keep at most UPLOAD_PER_USER_MIB, and another user still uploads."""
    from app import services
    checkpoints = services.checkpoints
    monkeypatch.setattr(checkpoints, "UPLOADS_ROOT", tmp_path)
    monkeypatch.setattr(checkpoints, "UPLOAD_PER_USER_MIB", 2)
    tabs = [tmp_path / f"session-{i}" for i in range(4)]
    for tab in tabs:
        tab.mkdir()
    def upload_in(tab, user, mib):
        monkeypatch.setattr(checkpoints, "session_folder", lambda: tab)
        return checkpoints.save_upload("a.safetensors", b"a" * int(mib * 2**20), user)
    upload_in(tabs[0], "10.0.0.1", 0.9)
    upload_in(tabs[1], "10.0.0.1", 0.9)
    with pytest.raises(checkpoints.UploadRefused) as refused:
        upload_in(tabs[2], "10.0.0.1", 0.9)
    assert refused.value.scope == "user" and refused.value.used_mib == pytest.approx(1.8, abs=0.01)
    assert pathlib.Path(upload_in(tabs[3], "10.0.0.2", 0.9)).exists()


def test_the_fig5_network_beside_its_one_shot_twin_on_one_colour_range():
    # Links made before the Fashion-MNIST checkpoints named the digits files: they still open.
    at = start({"ckpt": "densenet_fig5_digits", "beside": "vovnet_osa_digits", "norm": "none"},
               page=CONNECTIONS)
    assert not errors(at)
    pairs = [f for f in heatmaps(at) if "Weight-based" not in f["layout"]["title"]["text"]
             and "Attribution" not in f["layout"]["title"]["text"]]
    dense, osa = pairs[0::2], pairs[1::2]
    assert [f["data"][0]["z"] for f in dense] == expected(FIG5, "none")
    osa_file = shipped("vovnet_osa")
    assert [f["data"][0]["z"] for f in osa] == expected(osa_file, "none")
    assert "vovnet_osa" in osa[0]["layout"]["title"]["text"]
    assert len({(f["data"][0]["zmin"], f["data"][0]["zmax"]) for f in pairs}) == 1
    assert at.query_params["beside"] == "vovnet_osa"
    # Each side's slide files name its own network, input, dataset and accuracy.
    captions = slide_captions(at)
    for j, path in enumerate((FIG5, osa_file)):
        info = load_checkpoint(path)
        accuracy = float(info.metadata["test_accuracy"])
        assert captions[f"conn.beside0.{j}"].endswith(f"trained on {info.metadata['dataset']}, "
                                                     f"test accuracy {accuracy:.3f}")
        assert captions[f"conn.beside0.{j}"].startswith(f"{info.metadata['arch']} · input ")
    assert captions["conn.beside0.0"] != captions["conn.beside0.1"]
