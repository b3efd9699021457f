"""The simulated cluster's row checks and log parsing (bench/fleet/measure.py), without a fleet."""
import importlib.util
import os
import unittest

_spec = importlib.util.spec_from_file_location(
    "fleet_measure", os.path.join(os.path.dirname(os.path.abspath(__file__)), "fleet", "measure.py"))
measure = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(measure)

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64


def node(i, fetched=100, complete=True, warm=0, by_agent=None):
    return {"node": i, "seconds": float(i), "exit": 0, "bytes_fetched": fetched, "complete": complete,
            "warm_layers": warm, "by_agent": by_agent, "detail": ""}


class OriginBytesTest(unittest.TestCase):
    def test_counts_blob_bodies_served_whole_or_in_ranges_only(self):
        lines = [
            f'10.78.0.11 - - [x] "GET /v2/rpull/fleet/blobs/{A} HTTP/1.1" 200 60 "" "rpulld"',
            f'10.78.0.3 - - [x] "GET /v2/rpull/fleet/blobs/{A}?ns=x HTTP/1.1" 206 40 "" ""',
            f'10.78.0.3 - - [x] "HEAD /v2/rpull/fleet/blobs/{B} HTTP/1.1" 200 0 "" ""',
            f'10.78.0.3 - - [x] "GET /v2/rpull/fleet/blobs/{B} HTTP/1.1" 404 157 "" ""',
            '10.78.0.3 - - [x] "GET /v2/rpull/fleet/manifests/v1 HTTP/1.1" 200 1841 "" ""',
        ]
        self.assertEqual({A: 100}, measure.origin_bytes(lines))


class CheckRowTest(unittest.TestCase):
    def row(self, nodes, n=2, origin=200):
        return {"n": n, "nodes": nodes, "origin_bytes": origin}

    def test_a_complete_cold_run_passes(self):
        self.assertIsNone(measure.check_row(self.row([node(1), node(2)]), 100))

    def test_a_node_that_did_not_complete_refuses_the_row(self):
        self.assertIn("did not end complete", measure.check_row(self.row([node(1), node(2, complete=False)]), 100))

    def test_a_warm_node_refuses_the_row(self):
        self.assertIn("not a cold pull", measure.check_row(self.row([node(1), node(2, fetched=40)]), 100))

    def test_a_missing_node_refuses_the_row(self):
        self.assertIn("1 node results for 2 nodes", measure.check_row(self.row([node(1)]), 100))

    def test_an_origin_that_served_nothing_refuses_the_row(self):
        self.assertIn("nothing served", measure.check_row(self.row([node(1), node(2)], origin=0), 100))

    def test_a_node_that_held_layers_before_the_pull_refuses_the_row(self):
        self.assertIn("held 2 of the image's layers before", measure.check_row(self.row([node(1), node(2, warm=2)]), 100))

    def test_a_pull_the_agent_did_not_log_refuses_the_row(self):
        self.assertIn("not handed to the agent",
                      measure.check_row(self.row([node(1, by_agent=True), node(2, by_agent=False)]), 100))

    def test_summary_is_the_slowest_node_and_the_median(self):
        self.assertEqual({"all_done_s": 3.0, "p50_s": 2.0, "max_s": 3.0},
                         measure.summarize(self.row([node(1), node(2), node(3)], n=3)))


class ReportTest(unittest.TestCase):
    def row(self, n, path, client=None, down=None, origin=100):
        r = {"n": n, "path": path, "image_bytes": 100, "origin_bytes": origin, "all_done_s": 1.0, "p50_s": 1.0,
             "max_s": 1.0, "mirror_down_after_s": down}
        if client:
            r["client"] = client
        return r

    def test_rows_without_a_client_are_rpull_rows_and_mirror_runs_come_last(self):
        lines = measure.report([self.row(4, "dragonfly", down=2), self.row(2, "direct", origin=200),
                                self.row(1, "dragonfly", "ctr-rpull")]).splitlines()[2:]
        self.assertTrue(lines[0].startswith("| 1 | dragonfly | ctr-rpull |"), lines[0])
        self.assertTrue(lines[1].startswith("| 2 | direct | rpull |"), lines[1])
        self.assertTrue(lines[1].endswith("| 2.00 |"), lines[1])
        self.assertTrue(lines[2].startswith("| 4 | dragonfly, every dfdaemon stopped at 2 s | rpull |"), lines[2])

    def test_a_rerun_replaces_only_its_own_rows(self):
        self.assertEqual(measure.row_key(self.row(2, "direct")), measure.row_key(self.row(2, "direct", "rpull")))
        self.assertNotEqual(measure.row_key(self.row(2, "direct")), measure.row_key(self.row(2, "direct", down=2)))


if __name__ == "__main__":
    unittest.main()
