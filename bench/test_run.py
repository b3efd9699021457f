"""Unit tests of the rules that keep a benchmark row honest (bench/run.py); `make test` runs them."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

BLOBS = {"sha256:" + "a" * 64: 1000, "sha256:" + "b" * 64: 24}


class ColdRowTest(unittest.TestCase):
    def test_a_blob_left_in_the_store_refuses_the_row_before_it_runs(self):
        left = "sha256:" + "b" * 64
        with self.assertRaises(run.Refused) as refused:
            run.check_cold_start("ctr rpull", "tls-1g", BLOBS, lambda d: d == left)
        self.assertIn(left, str(refused.exception))
        self.assertIn("before a cold run of ctr rpull (tls-1g)", str(refused.exception))

    def test_an_empty_store_lets_the_row_run(self):
        run.check_cold_start("rpull", "tls-1g", BLOBS, lambda d: False)

    def test_fetching_less_than_the_image_refuses_the_row(self):
        with self.assertRaises(run.Refused) as refused:
            run.check_cold_end("rpull", "tls-1g", BLOBS, 1023, lambda d: True)
        self.assertIn("fetched 1023 bytes of an image of 1024", str(refused.exception))

    def test_a_blob_missing_after_the_pull_refuses_the_row(self):
        with self.assertRaises(run.Refused) as refused:
            run.check_cold_end("rpull", "tls-1g", BLOBS, 4096, lambda d: d != "sha256:" + "a" * 64)
        self.assertIn("lacks sha256:" + "a" * 64, str(refused.exception))

    def test_the_whole_image_fetched_and_stored_is_a_row(self):
        run.check_cold_end("rpull", "tls-1g", BLOBS, 1024, lambda d: True)
        run.check_cold_end("ctr pull (transfer)", "tls-1g", BLOBS, 1300, lambda d: True)  # over-fetch is shown, not refused


class ServedBytesTest(unittest.TestCase):
    def test_counts_the_bodies_of_200_and_206_answers_after_the_mark_in_both_log_formats(self):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write('10.77.0.1 "GET /v2/a/blobs/sha256:x HTTP/1.1" 206 5000\n')  # before the mark
            f.write('10.77.0.1 "GET /v2/a/blobs/sha256:x HTTP/1.1" 206 4194304\n')  # nginx (bench/link-up)
            f.write('127.0.0.1 - - [24/Nov/2026:13:01:42 +0000] "GET /v2/a/blobs/sha256:y HTTP/1.1" 200 100 "" "ua"\n')
            f.write('10.77.0.1 "HEAD /v2/a/manifests/v1 HTTP/1.1" 404 0\n')
        try:
            self.assertEqual(4194304 + 100, run.served_bytes(f.name, 1))
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
