"""What a project's own CI runs: its sysctl tooling against the fake kernel (examples/ci)."""



def test_tuning_sets_somaxconn(fake_kernel):
    fake_kernel.write("net.core.somaxconn", "8192")  # stands for your code, using the API
    assert fake_kernel.read("net.core.somaxconn") == "8192\n"
    assert [w.key for w in fake_kernel.write_log] == ["net.core.somaxconn"]


def test_sysctl_p_applies_the_file_through_the_mount(fake_procsys, tmp_path):
    conf = tmp_path / "99-tuning.conf"
    conf.write_text("net.core.somaxconn = 8192\nvm.swappiness = 10\n")
    done = fake_procsys.run(["sysctl", "-p", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert fake_procsys.kernel.read("vm.swappiness") == "10\n"


def test_a_refused_value_fails_like_the_kernel(fake_procsys):
    done = fake_procsys.run(["sysctl", "-w", "kernel.shmmni=99999999"], capture_output=True, text=True)
    assert done.returncode != 0 and "Invalid argument" in done.stderr
