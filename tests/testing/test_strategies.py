"""The strategies: argument checking, and agreement with the kernel model."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from fakeproc import Kernel, NamespaceType, key_to_path, load_profile
from fakeproc.profiles.loader import available_profiles
from fakeproc.testing import check_write
from fakeproc.testing import strategies as S

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_HANDLER = settings(SETTINGS, max_examples=30)
KERNELS = {name: Kernel(name) for name in available_profiles()}
SPEC_618 = load_profile("6.18").entries

BAD_ARGS = {
    "interface_names": [{"vlan": "yes"}, {"max_size": 16}, {"max_size": 0}, {"vlan": True, "max_size": 2}],
    "sysctl_entries": [{"profile": "9.99"}, {"namespace": "mnt"}, {"namespace": []}, {"writable": 1},
                       {"handlers": "proc_dointvec"}, {"handlers": ["no_such_handler"]}, {"devices": "eth0"}],
    "sysctl_keys": [{"form": "dots"}, {"profile": 6.18}, {"namespace": "mnt"}],
    "valid_values": [{"spec": "kernel.sem"}, {"spec": SPEC_618["net.ipv4.tcp_congestion_control"]},
                     {"spec": SPEC_618["kernel.sem"], "separators": ","}],
    "invalid_values": [{"spec": SPEC_618["kernel.hostname"]}, {"spec": SPEC_618["kernel.sem"], "classes": "crlf"},
                       {"spec": SPEC_618["kernel.sem"], "classes": ["nope"]}],
    "sysctl_conf_documents": [{"min_size": -1}, {"min_size": 3, "max_size": 2}, {"features": ["nope"]},
                              {"features": "crlf"}, {"devices": "eth0"}],
    "sysctl_d_layouts": [{"dialect": "busybox"}, {"max_files": 0}, {"documents": "x"}],
    "pod_specs": [{"min_size": 2, "max_size": 1}, {"namespaced_only": "no"}],
}


def test_every_strategy_has_bad_argument_cases():
    assert set(BAD_ARGS) == set(S.STRATEGIES)


@pytest.mark.parametrize("name,kwargs", [(n, kw) for n, cases in BAD_ARGS.items() for kw in cases])
def test_bad_arguments_raise_invalid_argument_naming_the_argument(name, kwargs):
    fn = S.STRATEGIES[name]
    args = [kwargs.pop("spec")] if "spec" in kwargs else []
    with pytest.raises(InvalidArgument):
        fn(*args, **kwargs).example()


@pytest.mark.parametrize("name", sorted(S.STRATEGIES))
def test_docstrings_follow_the_house_shape(name):
    doc = S.STRATEGIES[name].__doc__ or ""
    assert doc.startswith("Returns a strategy which generates")
    assert "shrink" in doc


@SETTINGS
@given(S.interface_names())
def test_interface_names_are_valid_device_names(name):
    assert 1 <= len(name) <= 15 and name not in (".", "..", "all", "default")
    assert not any(c in name for c in "/: \t\n")


@SETTINGS
@given(S.sysctl_keys(namespace="net", devices=S.interface_names(vlan=True), form="dotted"))
def test_vlan_keys_use_the_slash_rule(key):
    path = key_to_path(key)
    assert path.count("/") == key.count(".")  # each dot in a key is exactly one path separator


@SETTINGS
@given(S.sysctl_entries(namespace=("ipc", "uts")))
def test_namespace_filter(entry):
    assert entry[1].namespace in (NamespaceType.IPC, NamespaceType.UTS)


@SETTINGS
@given(S.sysctl_keys(form="slash", devices=["lo"]))
def test_slash_keys_exist_in_a_booted_kernel(path):
    assert KERNELS["6.18"].exists(path)


#: (profile, handler) for every handler with a value domain that the profile uses on a writable entry.
WRITABLE_HANDLERS = [
    (name, handler)
    for name, k in KERNELS.items()
    for handler in sorted(S.supported_handlers())
    if any(s.handler == handler and s.mode & 0o200 for s in k.profile.entries.values())
]


@pytest.mark.parametrize(("profile", "handler"), WRITABLE_HANDLERS)
def test_valid_values_are_accepted_and_invalid_ones_get_the_labelled_errno(profile, handler):
    k = KERNELS[profile]
    entries = S.sysctl_entries(profile=profile, writable=True, handlers=[handler],
                               devices=list(k.profile.init_devices))

    @PER_HANDLER
    @given(st.data())
    def check(data):
        key, spec = data.draw(entries)
        value = data.draw(S.valid_values(spec, profile=profile))
        verdict = check_write(k, key, value)
        assert verdict.accepted, (key, value, verdict.errno_name)
        try:
            strategy = S.invalid_values(spec, profile=profile)
        except InvalidArgument:
            return  # strings: nothing is refused
        bad = data.draw(strategy)
        verdict = check_write(k, key, bad.data)
        assert verdict.errno == bad.errno, (key, bad, verdict)

    check()


@SETTINGS
@given(S.invalid_values(SPEC_618["kernel.sem"], classes=["out_of_range"]))
def test_sem_semmni_out_of_range_is_erange(bad):
    assert bad.errno == 34 and len(bad.data.split()) == 4


def test_legacy_profile_drops_classes_it_does_not_refuse():
    spec = load_profile("4.15").entries["fs.aio-max-nr"]
    assert spec.handler == "proc_doulongvec_minmax"

    @SETTINGS
    @given(S.invalid_values(spec, profile="4.15", classes=["bad_sign"]))
    def check(bad):
        assert not (bad.data.startswith(b"-") and bad.data[1:2].isdigit())

    check()


@SETTINGS
@given(S.sysctl_conf_documents())
def test_documents_parse_the_same_in_both_tools_when_plain(doc):
    # Lines without ';' comments or invalid lines parse to the same assignments in both tools.
    if doc.features & {"semicolon_comment", "invalid_line"}:
        return
    procps = [(s.dotted, s.value) for s in doc.parsed("procps").settings]
    systemd = [(s.dotted, s.value) for s in doc.parsed("systemd").settings]
    assert procps == systemd


@SETTINGS
@given(S.sysctl_conf_documents(features=["crlf", "inline_hash"]))
def test_documents_expectations_keep_inline_hash(doc):
    for _, value in doc.applied("procps"):
        assert "\r" not in value


@SETTINGS
@given(S.sysctl_d_layouts())
def test_layouts_read_each_basename_once(layout):
    order = layout.order("procps")
    names = [p.rsplit("/", 1)[1] for p in order if p != "/etc/sysctl.conf"]
    assert len(names) == len(set(names)) and names == sorted(names)
    layout.applied("procps")


@SETTINGS
@given(S.pod_specs(min_size=1))
def test_pod_specs_have_sysctls(pod):
    sysctls = pod["spec"]["securityContext"]["sysctls"]
    assert sysctls and all(set(s) == {"name", "value"} for s in sysctls)
    assert len({s["name"] for s in sysctls}) == len(sysctls)
