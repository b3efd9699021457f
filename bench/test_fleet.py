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


def node(i, fetched=100, complete=True):
    return {"node": i, "seconds": float(i), "exit": 0, "bytes_fetched": fetched, "complete": complete, "detail": ""}


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

    def test_summary_is_the_slowest_node_and_the_median(self):
        self.assertEqual({"all_done_s": 3.0, "p50_s": 2.0, "max_s": 3.0},
                         measure.summarize(self.row([node(1), node(2), node(3)], n=3)))


if __name__ == "__main__":
    unittest.main()
