"""LLM endpoints end to end (docs/llm.md): real sieve, sieve-broker, sieve-collector,
sieve-worker and sieve-classifier processes on loopback; the classifier's OpenAI-compatible
/v1/chat/completions stands in for vLLM or a hosted API. Checks that a chat run through
--body-template gives the same labels as the plain /classify run, that normalisation and
re-asking work on real answers, that tokens and cost reach the summary and `sieve status`, and
that a bad template is a usage error before any request is made."""

import json
import os
import subprocess
import unittest

from sieve_harness import (Cluster, ClusterTestCase, SOURCE_DIR, check_output, exe, get_json,
                           metric_sum, read_csv)

EXAMPLE = os.path.join(SOURCE_DIR, "examples", "websites.csv")
TEMPLATE = "@" + os.path.join(SOURCE_DIR, "examples", "chat-template.json")
PRICE = (0.15, 0.6)


class LlmTest(ClusterTestCase):
    def start_classifier(self, *flags):
        c = self.cluster.start_classifier(*flags)
        self.base = f"http://{c.endpoint}"
        self.labels = get_json(self.base + "/labels")["labels"]
        return c

    def run_sieve(self, *args, timeout=300):
        return subprocess.run([exe("sieve"), *args], capture_output=True, timeout=timeout)

    def chat_flags(self, *extra):
        return ["--endpoint", self.base + "/v1/chat/completions", "--body-template", TEMPLATE,
                "--label-field", "/choices/0/message/content",
                "--labels", ",".join(self.labels), *extra]

    def test_chat_run_gives_the_classify_labels_with_tokens_and_cost(self):
        self.start_classifier("--answer-style", "sentence")
        plain = self.path("plain.csv")
        r = self.run_sieve("run", EXAMPLE, "-o", plain, "--endpoint", self.base + "/classify")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        chat = self.path("chat.csv")
        r = self.run_sieve("run", EXAMPLE, "-o", chat,
                           *self.chat_flags("--price", f"{PRICE[0]},{PRICE[1]}"))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        rows = check_output([EXAMPLE], chat)
        self.assertEqual(read_csv(chat), read_csv(plain), "chat labels differ from /classify")
        self.assertGreater(len({row[-1] for row in rows[1:]}), 3, "labels should vary")
        with open(chat + ".summary.json") as f:
            summary = json.load(f)
        n = len(rows) - 1
        self.assertEqual(summary["errors"], 0)
        self.assertGreater(summary["tokens"]["prompt"], n * 10)
        # "The category is: News." -> the tokens "category" and "news".
        # Rows repeating another row's body are sent once (in-chunk dedupe, and the cache):
        # the plain run sends each distinct row, the chat run each distinct `content`.
        plain_bodies = len({tuple(row) for row in read_csv(EXAMPLE)[1:]})
        chat_bodies = len({row[1] for row in read_csv(EXAMPLE)[1:]})
        self.assertLess(chat_bodies, n, "websites.csv repeats a row")
        self.assertEqual(summary["tokens"]["completion"], 2 * chat_bodies)
        want = (summary["tokens"]["prompt"] * PRICE[0] + summary["tokens"]["completion"] *
                PRICE[1]) / 1e6
        self.assertAlmostEqual(summary["cost"], want, places=12)
        self.assertEqual(summary["invalid_answers"], 0)
        # The plain run's summary counts no tokens and has no cost.
        with open(plain + ".summary.json") as f:
            plain_summary = json.load(f)
        self.assertEqual(plain_summary["tokens"], {"prompt": 0, "completion": 0})
        self.assertNotIn("cost", plain_summary)
        # The server saw exactly one request per distinct body: no re-asks for sentence answers.
        self.assertEqual(metric_sum(self.cluster.classifier.endpoint,
                                'sieve_classifier_request_duration_seconds_count'),
                         plain_bodies + chat_bodies)

    def test_status_shows_tokens_and_cost_of_a_submitted_job(self):
        self.cluster.start(workers=2, classifier_flags=("--answer-style", "sentence"))
        self.base = f"http://{self.cluster.classifier.endpoint}"
        self.labels = get_json(self.base + "/labels")["labels"]
        out = self.path("out.csv")
        r = self.cluster.sieve("submit", EXAMPLE, "--chunk-rows", "10", "--wait", "-o", out,
                               *self.chat_flags("--price", "2,8"))
        job = r.stdout.decode().split()[0]
        status = json.loads(self.cluster.sieve("status", job, "--json").stdout)
        with open(out + ".summary.json") as f:
            summary = json.load(f)
        self.assertEqual(status["tokens"], summary["tokens"])
        self.assertGreater(status["tokens"]["prompt"], 0)
        self.assertAlmostEqual(status["cost"], summary["cost"], places=12)
        table = self.cluster.sieve("status", job).stdout.decode()
        self.assertIn(f"tokens: prompt {summary['tokens']['prompt']}, completion "
                      f"{summary['tokens']['completion']}; cost", table)

    def test_noisy_answers_are_reasked_then_reported(self):
        self.start_classifier("--answer-style", "noisy", "--noisy-rate", "0.4", "--seed", "3")
        plain = read_csv(EXAMPLE)
        out = self.path("out.csv")
        r = self.run_sieve("run", EXAMPLE, "-o", out, *self.chat_flags("--invalid-retries", "1"))
        with open(out + ".summary.json") as f:
            summary = json.load(f)
        self.assertGreater(summary["invalid_answers"], summary["invalid_rows"])
        self.assertGreater(summary["invalid_rows"], 0, "expected some rows still invalid")
        self.assertEqual(summary["errors"], summary["invalid_rows"])
        self.assertEqual(r.returncode, 1, "failed rows make the run exit 1")
        errors = read_csv(out + ".errors.csv")
        self.assertEqual(len(errors) - 1, summary["invalid_rows"])
        for line in errors[1:]:
            self.assertRegex(line[-1], r'^answer "I think it\'s \w+" is not one of the labels$')
        # Every other row has the model's label, normalised from "news" or "The category is:
        # News." to the label as --labels spells it.
        rows = read_csv(out)
        for row in rows[1:]:
            self.assertIn(row[-1], self.labels + ["error"])
        self.assertEqual([row[:-1] for row in rows], plain)
        # Requests: one per distinct body (the template sends `content` only; a repeated one is
        # sent once) plus one per re-ask (each invalid answer but the one reported for each
        # distinct body that ended invalid; its repeats count as invalid rows too).
        bodies = len({row[1] for row in plain[1:]})
        invalid_bodies = len({row[1] for row in rows[1:] if row[-1] == "error"})
        self.assertEqual(metric_sum(self.cluster.classifier.endpoint,
                                "sieve_classifier_texts_classified_total"),
                         bodies + summary["invalid_answers"] - invalid_bodies)

    def test_special_characters_and_unicode_render(self):
        self.start_classifier("--answer-style", "plain")
        data = self.path("nasty.csv")
        texts = ['quote " and \\ backslash, /slash', "tab\there\r\nCRLF and \u2028 sep",
                 "control \x01\x02\x1f bytes", "unicode é ü 日本 新闻 🎉 football scores",
                 "{{content}} looks like a placeholder", "\x7f del and \ufeff bom"]
        with open(data, "w", newline="", encoding="utf-8") as f:
            f.write("website,content\n")
            for i, t in enumerate(texts * 3):
                f.write(f'https://s{i}.example,"{t.replace(chr(34), chr(34) * 2)}"\n')
        with open(data, "ab") as f:  # one row that is not UTF-8: a per-row error
            f.write(b'https://bad.example,"latin-1 caf\xe9"\n')
        plain, chat = self.path("plain.csv"), self.path("chat.csv")
        r = self.run_sieve("run", data, "-o", plain, "--endpoint", self.base + "/classify")
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        r = self.run_sieve("run", data, "-o", chat, *self.chat_flags())
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        with open(chat, "rb") as a, open(plain, "rb") as b:
            self.assertEqual(a.read(), b.read())  # bytes: one row is not UTF-8
        errors = read_csv(chat + ".errors.csv")
        self.assertEqual(len(errors), 2, errors)  # header + the latin-1 row
        self.assertIn("invalid UTF-8 in column 'content'", errors[1][-1])

    def test_bad_template_is_a_usage_error_before_any_request(self):
        self.start_classifier()
        endpoint = self.cluster.classifier.endpoint
        for template, needle in [
                ('{"messages":[{"role":"user","content":"{{body}}"}]}',
                 "names column 'body', which the input does not have (columns: website, "
                 "content)"),
                ('{"messages": [', "is not valid JSON"),
                ('{"x": "{{content"}', "without a closing"),
                ("@" + self.path("missing.json"), "missing.json")]:
            r = self.run_sieve("run", EXAMPLE, "-o", self.path("o.csv"), "--endpoint",
                               self.base + "/v1/chat/completions", "--body-template", template)
            self.assertEqual(r.returncode, 2, r.stderr.decode())
            self.assertIn(needle, r.stderr.decode())
            # submit checks too, before it contacts the broker (port 9: nothing listens).
            r = self.run_sieve("submit", EXAMPLE, "--broker", "tcp://127.0.0.1:9", "--endpoint",
                               self.base + "/v1/chat/completions", "--body-template", template)
            self.assertEqual(r.returncode, 2, r.stderr.decode())
        for flags, needle in [(["--price", "1"], "--price"),
                              (["--labels", "news,News"], "given twice"),
                              (["--invalid-retries", "99"], "--invalid-retries")]:
            r = self.run_sieve("run", EXAMPLE, "-o", self.path("o.csv"), "--endpoint",
                               self.base + "/classify", *flags)
            self.assertEqual(r.returncode, 2, r.stderr.decode())
            self.assertIn(needle, r.stderr.decode())
        self.assertEqual(metric_sum(endpoint, "sieve_classifier_texts_classified_total"), 0)
        self.assertEqual(metric_sum(endpoint, "sieve_classifier_request_duration_seconds_count"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
