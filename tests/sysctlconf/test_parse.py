"""sysctl.conf parsing as procps and systemd-sysctl do it, line by line."""

from __future__ import annotations

import pytest

from fakeproc.sysctlconf import normalize_key, parse, split_lines


def kv(doc):
    return [(s.key, s.value, s.ignore_failure) for s in doc.settings]


class TestProcps:
    def test_value_keeps_inline_hash_and_inner_spaces(self):
        doc = parse("kernel.hostname =  a b # c  \n")
        assert kv(doc) == [("kernel.hostname", "a b # c", False)]

    def test_comments_only_at_line_start_after_whitespace(self):
        doc = parse("# a\n ;b\n\t# c=1\nx.y=1\n")
        assert [i.reason for i in doc.ignored] == ["comment", "comment", "comment"]
        assert kv(doc) == [("x.y", "1", False)]

    def test_crlf_is_stripped_as_whitespace(self):
        doc = parse("net.core.somaxconn = 1024\r\nkernel.sem = 1 2 3 4\r\n")
        assert [s.value for s in doc.settings] == ["1024", "1 2 3 4"]

    def test_minus_prefix_means_ignore_failure_with_value(self):
        assert kv(parse("-vm.swappiness = 10\n")) == [("vm.swappiness", "10", True)]

    def test_minus_prefix_without_equals_is_an_exclusion(self):
        doc = parse("-net.ipv4.conf.all.rp_filter  \n")
        assert doc.exclusions[0].key == "net.ipv4.conf.all.rp_filter"
        assert doc.exclusions[0].value is None and doc.assignments == ()

    def test_line_without_equals_is_invalid_syntax_with_line_number(self):
        doc = parse("a.b = 1\n\nbogus line\n", filename="/etc/sysctl.conf")
        assert doc.errors[0].line == 3
        assert doc.errors[0].message == "sysctl: /etc/sysctl.conf(3): invalid syntax, continuing..."

    def test_splits_at_first_equals(self):
        assert kv(parse("a.b = c=d\n")) == [("a.b", "c=d", False)]

    def test_short_lines_are_skipped(self):
        # getline() length < 2: a lone newline, or one byte at EOF without a newline.
        doc = parse("\nx")
        assert [i.reason for i in doc.ignored] == ["short", "short"]
        assert doc.errors == ()

    def test_one_character_line_with_newline_is_invalid_syntax(self):
        assert parse("x\n").errors[0].line == 1

    def test_empty_value(self):
        assert kv(parse("kernel.domainname =\n")) == [("kernel.domainname", "", False)]

    def test_vlan_key_slash_rule(self):
        doc = parse("net.ipv4.conf.eth0/100.rp_filter = 2\nnet/ipv4/conf/eth0.100/rp_filter = 2\n")
        assert {s.path for s in doc.settings} == {"net/ipv4/conf/eth0.100/rp_filter"}
        assert {s.dotted for s in doc.settings} == {"net.ipv4.conf.eth0/100.rp_filter"}

    def test_globs_are_recognised(self):
        doc = parse("net.ipv4.conf.*.rp_filter = 1\n")
        assert doc.settings[0].is_glob and doc.settings[0].path == "net/ipv4/conf/*/rp_filter"

    def test_pattern_filters_on_the_raw_line(self):
        doc = parse("kernel.a = 1\nvm.b = 2\n", pattern="^vm")
        assert [s.key for s in doc.settings] == ["vm.b"]
        assert doc.ignored[0].reason == "pattern"

    def test_key_whitespace_before_equals_is_stripped(self):
        assert kv(parse("\t kernel.x\t = \t5\t\n")) == [("kernel.x", "5", False)]


class TestSystemd:
    def test_semicolon_is_not_a_comment_in_current_systemd(self):
        doc = parse("; note\n", "systemd", filename="/etc/sysctl.d/a.conf")
        assert doc.errors[0].message == "/etc/sysctl.d/a.conf:1: Line is not an assignment, ignoring: ; note"

    def test_semicolon_is_a_comment_in_systemd_252(self):
        doc = parse("; note\n#x\n", "systemd-252")
        assert doc.errors == () and [i.reason for i in doc.ignored] == ["comment", "comment"]

    def test_lone_cr_ends_a_line(self):
        doc = parse("a.b = 1\rc.d = 2\r\n", "systemd")
        assert [(s.path, s.value, s.line) for s in doc.settings] == [("a/b", "1", 1), ("c/d", "2", 2)]

    def test_keys_are_normalised_to_paths(self):
        doc = parse("net.ipv4.conf.eth0/100.rp_filter=1\n/net//ipv4/./ip_forward = 1\n", "systemd")
        assert [s.path for s in doc.settings] == ["net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/ip_forward"]

    def test_minus_prefix(self):
        doc = parse("-a.b = 1\n-c.d\n", "systemd")
        assert [(s.path, s.value, s.ignore_failure) for s in doc.settings] == [("a/b", "1", True), ("c/d", None, False)]

    def test_inline_hash_is_part_of_the_value(self):
        assert parse("a.b = 1 # x\n", "systemd").settings[0].value == "1 # x"


def test_normalize_key_procps_keeps_repeated_separators():
    assert normalize_key("a..b") == "a//b"
    assert normalize_key("a..b", "systemd") == "a/b"


def test_split_lines_counts_like_each_tool():
    assert split_lines("a\n\nb", "procps") == ["a", "", "b"]
    assert split_lines("a\r\n\r\nb", "systemd") == ["a", "", "b"]
    assert split_lines("a\n\r\n", "systemd") == ["a", ""]


def test_unknown_dialect_is_refused():
    with pytest.raises(ValueError, match="unknown sysctl.conf dialect"):
        parse("", "busybox")
