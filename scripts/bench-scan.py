#!/usr/bin/env python3
"""`pickle scan` against picklescan: one process each over the same folder of model files.

In one run it
  1. makes the folder once, with --python (Debian's /usr/bin/python3 with numpy, torch,
     pandas, scikit-learn and joblib), into --workdir (default /tmp/pickle-bench-scan;
     reused while its manifest.json matches --files, --big-mib and this generator's
     version, never committed): WORKDIR/models/ holds --files N files (default 300),
     made deterministically (fixed seeds), in this mix:
       torch/        torch.save state_dicts of small and medium nn.Module models (MLPs,
                     CNNs with BatchNorm, small transformers; zip format), a few tensors
                     or lists of tensors;
       checkpoints/  training checkpoints (model, SGD/Adam/AdamW state after a step,
                     LR scheduler, epoch, metrics, config, torch/numpy/random RNG
                     states; a PyTorch-Lightning-like layout among them), zip format,
                     and a few of both in the legacy (non-zip) format;
       numpy/        .npy (float, int, uint8 images, bool, structured, some object
                     arrays of strings), .npz (savez and savez_compressed), and pickles
                     of arrays and dicts of arrays at protocols 2-5;
       pandas/       DataFrames and Series (float, int, str, category, datetime, bool
                     columns) by DataFrame.to_pickle and pickle.dump;
       sklearn/      fitted scikit-learn models and pipelines by pickle.dump (.pkl), by
                     joblib.dump (.joblib) and by joblib.dump with compress (zlib, gzip,
                     bz2, xz);
       data/         plain Python data: vocabularies, configs, metric histories,
                     Counter / defaultdict / OrderedDict / datetime / set values, at
                     protocols 0-5;
       big/          --big-mib MiB (default 128; 0 for none) of big checkpoints: a zip
                     state_dict (45%), a zip training checkpoint with Adam state (35%)
                     and a legacy-format state_dict (20%), so that what a scanner reads
                     of a multi-MiB tensor file shows;
  2. runs, each once untimed (the page cache is warm from then on, and their outputs
     give the verdicts below), then --repeat rounds (default 3) of, in turn:
       pickle scan --json models/            (its default --jobs: the number of cores)
       pickle scan --json --jobs 1 models/
       PYTHONPATH=DIR/src python -m picklescan --path models/   (DIR: --picklescan)
     and the same two tools on models/big/ alone; each run's wall time
     (time.perf_counter around the child) and user and sys CPU time
     (resource.getrusage(RUSAGE_CHILDREN) before and after it), stdout and stderr to
     files; the figure is the median of the rounds;
  3. reports the folder (files, bytes, and which files picklescan looks at: its folder
     walk takes files by extension and skips .npy), each tool's median seconds and CPU,
     the ratio picklescan / pickle scan in wall time and in CPU time for both --jobs
     settings against the project's goal (at least 50x), and each tool's verdicts:
     pickle scan's JSON summary (safe / unsafe / unknown / error; every finding of a
     file not safe is printed: on this benign folder that is a bug), picklescan's
     "Scanned files / Infected files / Suspicious globals / Dangerous globals" summary,
     its exit status, and its warnings and errors grouped by kind, with files;
  4. prints a markdown table, or with --json a JSON object (--json FILE writes it to
     FILE beside the table).

Without --picklescan, or when DIR/src/picklescan is not there, it prints a SKIPPED line
and exits 0; so it does when --python lacks a library the folder needs. picklescan is
not part of this repository; get it with

    git clone https://github.com/mmaitre314/picklescan /tmp/picklescan-src

The machine may be shared: the load average is printed, and CPU times beside wall times.
The driver runs on Python 3.6+ with the standard library only.

    python3 scripts/bench-scan.py --picklescan /tmp/picklescan-src
    python3 scripts/bench-scan.py --picklescan /tmp/picklescan-src --files 500 --big-mib 200 --repeat 5 --json out.json
    python3 scripts/bench-scan.py --build --picklescan /tmp/picklescan-src   # builds build/release first
"""
import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1 << 20
# Bump when the files made change, so that an old --workdir is made again.
GENERATOR_VERSION = 1
GOAL = 50.0
LIBRARIES = ('numpy', 'torch', 'pandas', 'sklearn', 'joblib')


def qjoin(argv):
    return ' '.join(shlex.quote(a) for a in argv)


def say(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# The maker, run under --python (with numpy, torch, pandas, scikit-learn, joblib).
# One function per kind of file; each writes one file and returns its path.

# (kind, weight out of 100): the share of --files each kind gets.
MIX = (
    ('torch_small', 18), ('torch_medium', 4), ('torch_tensors', 2),
    ('checkpoint', 11), ('checkpoint_lightning', 3), ('legacy', 3),
    ('npy', 9), ('npz', 6), ('numpy_pickle', 8),
    ('pandas', 8),
    ('sklearn_pickle', 7), ('sklearn_joblib', 5), ('sklearn_joblib_compressed', 5),
    ('data', 11),
)


def plan(n):
    """The kind of each of n files: every kind gets its share (largest remainders),
    then the kinds are interleaved so that any prefix is a mix too."""
    total = sum(w for _, w in MIX)
    counts = {k: n * w // total for k, w in MIX}
    order = sorted(MIX, key=lambda kw: -((n * kw[1]) % total))
    for k, _ in order[:n - sum(counts.values())]:
        counts[k] += 1
    slots = []
    for k, _ in MIX:
        c = counts[k]
        slots += [((j + 0.5) / c, k) for j in range(c)]
    return [k for _, k in sorted(slots)]


class Maker:
    def __init__(self, out):
        import numpy as np
        import torch
        self.np, self.torch = np, torch
        self.out = out
        torch.set_num_threads(1)

    def path(self, sub, name):
        d = os.path.join(self.out, sub)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, name)

    # -- torch models ------------------------------------------------------

    def model(self, i, size):
        """A small or medium nn.Module, by i; size 'small' or 'medium'."""
        nn = self.torch.nn
        self.torch.manual_seed(i)
        pick = i % 3
        if size == 'medium':
            pick = 2 if i % 2 else 1
        if pick == 0:  # MLP
            widths = [(32, 64), (64, 128), (128, 256), (256, 512), (512, 512)][i % 5]
            layers = []
            w_in = 16 + i % 48
            for w in widths:
                layers += [nn.Linear(w_in, w), nn.ReLU(), nn.Dropout(0.1)]
                w_in = w
            layers.append(nn.Linear(w_in, 2 + i % 10))
            return nn.Sequential(*layers), (4, 16 + i % 48)
        if pick == 1:  # CNN with BatchNorm (running stats and num_batches_tracked)
            c = [8, 16, 32, 48][i % 4] * (4 if size == 'medium' else 1)
            m = nn.Sequential(
                nn.Conv2d(3, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                nn.Conv2d(c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(),
                nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * c, 10))
            return m, (2, 3, 16, 16)
        # a small transformer encoder with embeddings and a head
        d = [64, 96, 128][i % 3] * (2 if size == 'medium' else 1)
        vocab = [1000, 2000, 4000][i % 3] * (2 if size == 'medium' else 1)
        layers = 1 + i % 2 + (2 if size == 'medium' else 0)

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(vocab, d)
                self.pos = nn.Parameter(self.embed.weight.new_zeros(1, 64, d))
                self.encoder = nn.TransformerEncoder(
                    nn.TransformerEncoderLayer(d, 4, 4 * d, batch_first=True), layers)
                self.norm = nn.LayerNorm(d)
                self.head = nn.Linear(d, vocab)

            def forward(self, x):
                return self.head(self.norm(self.encoder(self.embed(x) + self.pos[:, :x.shape[1]])))

        return Tiny(), ('tokens', vocab)

    def example_input(self, shape):
        if shape[0] == 'tokens':
            return self.torch.randint(0, shape[1], (2, 16))
        return self.torch.randn(*shape)

    def torch_small(self, i):
        m, _ = self.model(i, 'small')
        p = self.path('torch', ['model_%04d.pt', 'weights_%04d.pth', 'pytorch_model_%04d.bin'][(i // 3) % 3] % i)
        self.torch.save(m.state_dict(), p)
        return p

    def torch_medium(self, i):
        m, _ = self.model(i, 'medium')
        p = self.path('torch', 'medium_%04d.pt' % i)
        self.torch.save(m.state_dict(), p)
        return p

    def torch_tensors(self, i):
        torch = self.torch
        torch.manual_seed(i)
        p = self.path('torch', 'tensors_%04d.pt' % i)
        if i % 2:
            obj = torch.randn(256 + i % 512, 64)
        else:
            obj = [torch.randn(32, 32), torch.arange(100), torch.zeros(8, dtype=torch.bool),
                   torch.randn(16, 16).half()]
        torch.save(obj, p)
        return p

    def train_step(self, i, m, shape):
        """One optimizer step, so that the optimizer's state is filled in."""
        torch = self.torch
        opt_kind = ('adam', 'adamw', 'sgd')[(i // 3) % 3]  # every optimizer with every model
        if opt_kind == 'adam':
            opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        elif opt_kind == 'adamw':
            opt = torch.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.01)
        else:
            opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        if i % 2:
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
        else:
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
        m.train()
        out = m(self.example_input(shape))
        out.float().pow(2).mean().backward()
        opt.step()
        sched.step()
        return opt, sched

    def checkpoint_dict(self, i, size='small'):
        import random
        np = self.np
        m, shape = self.model(i, size)
        opt, sched = self.train_step(i, m, shape)
        np.random.seed(i)
        random.seed(i)
        ck = {
            'epoch': i % 50,
            'global_step': 1000 * (i % 50) + i,
            'model_state_dict': m.state_dict(),
            'optimizer_state_dict': opt.state_dict(),
            'scheduler_state_dict': sched.state_dict(),
            'best_val_loss': 0.5 / (1 + i % 7),
            'metrics': {'train_loss': [1.0 / (k + 1) for k in range(i % 30)],
                        'val_accuracy': [0.5 + k / 100 for k in range(i % 30)]},
            'config': {'lr': 1e-3, 'batch_size': 32 << (i % 3), 'model': type(m).__name__,
                       'layers': [64, 128], 'dropout': 0.1, 'seed': i, 'fp16': bool(i % 2),
                       'data_dir': '/data/run%d' % i, 'note': None},
        }
        if i % 2:
            ck['torch_rng_state'] = self.torch.get_rng_state()
        if i % 3 == 0:
            ck['numpy_rng_state'] = np.random.get_state()
            ck['python_rng_state'] = random.getstate()
        if i % 4 == 1:
            ck['input_shape'] = self.torch.Size([1, 3, 224, 224])
        return ck

    def checkpoint(self, i):
        p = self.path('checkpoints', ['checkpoint_%04d.pt', 'epoch_%04d.pth', 'last_%04d.ckpt'][i % 3] % i)
        self.torch.save(self.checkpoint_dict(i), p)
        return p

    def checkpoint_lightning(self, i):
        m, shape = self.model(i, 'small')
        opt, sched = self.train_step(i, m, shape)
        ck = {
            'epoch': i % 20, 'global_step': 500 * (i % 20),
            'pytorch-lightning_version': '1.9.4',
            'state_dict': {'model.' + k: v for k, v in m.state_dict().items()},
            'loops': {'fit_loop': {'state_dict': {}, 'epoch_progress': {
                'total': {'ready': i % 20, 'started': i % 20, 'processed': i % 20, 'completed': i % 20},
                'current': {'ready': 1, 'started': 1, 'processed': 1, 'completed': 1}}}},
            'callbacks': {"ModelCheckpoint{'monitor': 'val_loss', 'mode': 'min'}": {
                'monitor': 'val_loss', 'best_model_score': self.torch.tensor(0.25),
                'best_model_path': '/runs/%d/best.ckpt' % i, 'current_score': self.torch.tensor(0.3),
                'dirpath': '/runs/%d' % i, 'best_k_models': {}, 'kth_best_model_path': '',
                'kth_value': self.torch.tensor(float('inf')), 'last_model_path': ''}},
            'optimizer_states': [opt.state_dict()],
            'lr_schedulers': [sched.state_dict()],
            'hparams_name': 'kwargs',
            'hyper_parameters': {'lr': 1e-3, 'hidden': 128, 'dropout': 0.1, 'num_classes': 10},
        }
        p = self.path('checkpoints', 'lightning_%04d.ckpt' % i)
        self.torch.save(ck, p)
        return p

    def legacy(self, i):
        p = self.path('checkpoints', 'legacy_%04d.pt' % i)
        if i % 2:
            obj = self.model(i, 'small')[0].state_dict()
        else:
            obj = self.checkpoint_dict(i)
        self.torch.save(obj, p, _use_new_zipfile_serialization=False)
        return p

    # -- numpy -------------------------------------------------------------

    def array(self, i, rng):
        np = self.np
        k = i % 8
        if k == 0:
            return rng.standard_normal((int(rng.integers(100, 2000)), 128)).astype(np.float32)  # embeddings
        if k == 1:
            return rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)                          # an image
        if k == 2:
            return rng.integers(0, 1000, int(rng.integers(1000, 100000)))                    # int64 labels
        if k == 3:
            return rng.standard_normal(int(rng.integers(10, 50000)))                         # float64
        if k == 4:
            return rng.random((200, 200)) > 0.5                                               # bool mask
        if k == 5:
            a = np.zeros(int(rng.integers(100, 5000)), dtype=[('id', '<i8'), ('score', '<f4'), ('tag', 'S8')])
            a['id'] = np.arange(len(a))
            a['score'] = rng.random(len(a))
            return a                                                                          # structured
        if k == 6:
            return np.asfortranarray(rng.standard_normal((300, 40)))                          # Fortran order
        return rng.standard_normal((512, 256)).astype(np.float16)

    def npy(self, i):
        np = self.np
        rng = np.random.default_rng(i)
        p = self.path('numpy', 'array_%04d.npy' % i)
        if i % 9 == 4:  # an object array of strings: a pickle inside the .npy
            a = np.array(['label_%d' % j for j in range(int(rng.integers(10, 500)))], dtype=object)
            np.save(p, a, allow_pickle=True)
        else:
            np.save(p, self.array(i, rng))
        return p

    def npz(self, i):
        np = self.np
        rng = np.random.default_rng(i)
        p = self.path('numpy', 'arrays_%04d.npz' % i)
        arrays = {'x': self.array(i, rng), 'y': self.array(i + 3, rng), 'mean': rng.random(16), 'step': np.int64(i)}
        (np.savez_compressed if i % 2 else np.savez)(p, **arrays)
        return p

    def numpy_pickle(self, i):
        import pickle
        np = self.np
        rng = np.random.default_rng(i)
        p = self.path('numpy', ['arrays_%04d.pkl', 'features_%04d.pickle'][i % 2] % i)
        if i % 3 == 0:
            obj = self.array(i, rng)
        elif i % 3 == 1:
            obj = {'X_train': self.array(i, rng), 'y_train': rng.integers(0, 10, 500),
                   'mean': np.float64(rng.random()), 'classes': np.arange(10), 'dtype': np.dtype('float32')}
        else:
            obj = [self.array(i + j, rng) for j in range(3)]
        with open(p, 'wb') as f:
            pickle.dump(obj, f, protocol=2 + i % 4)
        return p

    # -- pandas ------------------------------------------------------------

    def pandas(self, i):
        import pickle
        import pandas as pd
        np = self.np
        rng = np.random.default_rng(i)
        n = int(rng.integers(100, 20000))
        df = pd.DataFrame({
            'price': rng.random(n) * 100,
            'qty': rng.integers(0, 1000, n),
            'name': ['item_%d' % (j % 997) for j in range(n)],
            'city': pd.Categorical(rng.choice(['Zurich', 'Paris', 'Lagos', 'Lima', 'Osaka'], n)),
            'when': pd.date_range('2024-01-01', periods=n, freq='h'),
            'flag': rng.random(n) > 0.3,
        })
        if i % 4 == 1:
            df = df.set_index('when')
        p = self.path('pandas', 'frame_%04d.pkl' % i)
        if i % 5 == 3:
            obj = df['price'].rename('price_series')
        elif i % 5 == 4:
            obj = df.groupby('city').agg({'price': 'mean', 'qty': 'sum'})
        else:
            obj = df
        if i % 2:
            obj.to_pickle(p)
        else:
            with open(p, 'wb') as f:
                pickle.dump(obj, f, protocol=4)
        return p

    # -- scikit-learn ------------------------------------------------------

    def sklearn_model(self, i):
        from sklearn import (cluster, decomposition, ensemble, linear_model, naive_bayes,
                             neighbors, neural_network, pipeline, preprocessing, svm, tree)
        from sklearn.datasets import make_classification, make_regression
        from sklearn.feature_extraction.text import TfidfVectorizer
        X, y = make_classification(n_samples=300 + 10 * (i % 20), n_features=20, n_informative=8,
                                   n_classes=3, random_state=i)
        k = i % 13
        if k == 0:
            return linear_model.LogisticRegression(max_iter=300).fit(X, y)
        if k == 1:
            return ensemble.RandomForestClassifier(n_estimators=10 + i % 20, max_depth=8, random_state=i).fit(X, y)
        if k == 2:
            return pipeline.Pipeline([('scale', preprocessing.StandardScaler()),
                                      ('pca', decomposition.PCA(n_components=8)),
                                      ('clf', svm.SVC(probability=False))]).fit(X, y)
        if k == 3:
            return cluster.KMeans(n_clusters=5, n_init=3, random_state=i).fit(X)
        if k == 4:
            return tree.DecisionTreeClassifier(max_depth=10, random_state=i).fit(X, y)
        if k == 5:
            return neural_network.MLPClassifier(hidden_layer_sizes=(32,), max_iter=50, random_state=i).fit(X, y)
        if k == 6:
            Xr, yr = make_regression(n_samples=300, n_features=20, random_state=i)
            return ensemble.GradientBoostingRegressor(n_estimators=20, random_state=i).fit(Xr, yr)
        if k == 7:
            Xr, yr = make_regression(n_samples=300, n_features=20, random_state=i)
            return linear_model.Ridge(alpha=1.0).fit(Xr, yr)
        if k == 8:
            return naive_bayes.GaussianNB().fit(X, y)
        if k == 9:
            return neighbors.KNeighborsClassifier(n_neighbors=5).fit(X, y)
        if k == 10:
            docs = ['the %s model scans file %d of %s' % (w, j, v) for j in range(200)
                    for w, v in (('fast', 'pickles'), ('slow', 'checkpoints'))][:200 + i % 50]
            return pipeline.Pipeline([('tfidf', TfidfVectorizer()),
                                      ('clf', linear_model.SGDClassifier(random_state=i))]
                                     ).fit(docs, [j % 2 for j in range(len(docs))])
        if k == 11:
            return ensemble.ExtraTreesClassifier(n_estimators=10, max_depth=6, random_state=i).fit(X, y)
        return preprocessing.MinMaxScaler().fit(X)

    def sklearn_pickle(self, i):
        import pickle
        p = self.path('sklearn', 'model_%04d.pkl' % i)
        with open(p, 'wb') as f:
            pickle.dump(self.sklearn_model(i), f, protocol=4 + i % 2)
        return p

    def sklearn_joblib(self, i):
        import joblib
        p = self.path('sklearn', 'model_%04d.joblib' % i)
        joblib.dump(self.sklearn_model(i), p)
        return p

    def sklearn_joblib_compressed(self, i):
        import joblib
        compress = [3, ('gzip', 3), ('bz2', 3), ('xz', 3), 9][i % 5]
        p = self.path('sklearn', 'model_%04d_z.joblib' % i)
        joblib.dump(self.sklearn_model(i), p, compress=compress)
        return p

    # -- plain Python data -------------------------------------------------

    def data(self, i):
        import collections
        import datetime
        import pickle
        import random
        r = random.Random(i)

        def word():
            return ''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(2, 10)))

        k = i % 6
        if k == 0:
            obj = {word() + str(j): j for j in range(r.randint(1000, 50000))}          # vocabulary
        elif k == 1:
            obj = {'model': {'layers': [r.randint(16, 512) for _ in range(6)], 'act': 'gelu',
                             'dropout': 0.1, 'tie_weights': True, 'init': None},
                   'train': {'lr': 3e-4, 'epochs': 20, 'schedule': ('cosine', 1000),
                             'started': datetime.datetime(2024, 5, r.randint(1, 28), 12, 30)},
                   'tags': {word() for _ in range(10)}, 'blob': bytes(r.getrandbits(8) for _ in range(256))}
        elif k == 2:
            obj = collections.OrderedDict(('epoch_%d' % e, {'loss': r.random(), 'acc': r.random()})
                                          for e in range(r.randint(10, 500)))
        elif k == 3:
            obj = collections.Counter(word() for _ in range(r.randint(1000, 30000)))
        elif k == 4:
            dd = collections.defaultdict(list)
            for _ in range(r.randint(100, 5000)):
                dd[word()].append((r.randint(0, 100), r.random()))
            obj = dd
        else:
            obj = [(word(), r.randint(0, 1 << 40), r.random(), r.random() > 0.5, None)
                   for _ in range(r.randint(100, 20000))]
        p = self.path('data', ['data_%04d.pkl', 'cache_%04d.pickle', 'state_%04d.dat'][i % 3] % i)
        with open(p, 'wb') as f:
            # Mostly CPython's default (4) and highest (5), some 2 and 3, a few 0 and 1.
            pickle.dump(obj, f, protocol=(4, 5, 2, 4, 3, 5, 0, 4, 5, 2, 1, 4, 5)[i % 13])
        return p

    # -- big checkpoints -----------------------------------------------------

    def big_state_dict(self, nbytes, seed, layer_mib=8):
        """float32 layers of layer_mib MiB (the last one smaller) with biases and norms."""
        torch = self.torch
        torch.manual_seed(seed)
        sd = {}
        left = nbytes
        j = 0
        while left > 4096 * 4 * 2:
            rows = max(1, min(layer_mib * MiB, left) // (4096 * 4))
            sd['layers.%d.weight' % j] = torch.randn(rows, 4096)
            sd['layers.%d.bias' % j] = torch.zeros(rows)
            sd['layers.%d.norm.weight' % j] = torch.ones(4096)
            left -= rows * 4096 * 4 + rows * 4 + 4096 * 4
            j += 1
        return sd

    def big(self, big_mib):
        if big_mib <= 0:
            return []
        torch = self.torch
        total = big_mib * MiB
        paths = []
        p = self.path('big', 'big_state_dict.pt')
        torch.save(self.big_state_dict(total * 45 // 100, 1), p)
        paths.append(p)
        # A training checkpoint with Adam's two moments: the model is a third of it.
        sd = self.big_state_dict(total * 35 // 100 // 3, 2)
        ck = {'epoch': 12, 'global_step': 120000, 'model': sd,
              'optimizer': {'state': {n: {'step': torch.tensor(120000.0), 'exp_avg': torch.zeros_like(t),
                                          'exp_avg_sq': torch.zeros_like(t)} for n, t in enumerate(sd.values())},
                            'param_groups': [{'lr': 1e-4, 'betas': (0.9, 0.999), 'eps': 1e-8,
                                              'weight_decay': 0.0, 'amsgrad': False,
                                              'params': list(range(len(sd)))}]},
              'config': {'lr': 1e-4, 'batch_size': 256}}
        p = self.path('big', 'big_checkpoint.ckpt')
        torch.save(ck, p)
        paths.append(p)
        del sd, ck
        p = self.path('big', 'big_legacy.pt')
        torch.save(self.big_state_dict(total * 20 // 100, 3), p, _use_new_zipfile_serialization=False)
        paths.append(p)
        return paths


def make_side(args):
    import warnings
    warnings.filterwarnings('ignore')
    import numpy
    import pandas
    import sklearn
    import joblib
    import torch
    mk = Maker(args.out)
    kinds = plan(args.files)
    files = []
    t0 = time.perf_counter()
    ordinal = {}
    for i, kind in enumerate(kinds):
        # Each maker numbers its files 0, 1, 2, ... and picks its variants by that number.
        j = ordinal[kind] = ordinal.get(kind, -1) + 1
        files.append((getattr(mk, kind)(j), kind))
        if (i + 1) % 50 == 0:
            say('#   made %d/%d files (%.0f s)' % (i + 1, len(kinds), time.perf_counter() - t0))
    for p in mk.big(args.big_mib):
        files.append((p, 'big'))
    if hasattr(os, 'sync'):
        os.sync()  # written back now, not under the timed runs
    print(json.dumps({
        'versions': {'python': platform.python_version(), 'numpy': numpy.__version__,
                     'torch': torch.__version__, 'pandas': pandas.__version__,
                     'sklearn': sklearn.__version__, 'joblib': joblib.__version__},
        'files': [{'path': os.path.relpath(p, args.out), 'kind': k, 'bytes': os.path.getsize(p)}
                  for p, k in files]}))


# ---------------------------------------------------------------------------
# The folder: made once, reused while its manifest matches.

def folder(args, python):
    workdir = os.path.abspath(args.workdir)
    models = os.path.join(workdir, 'models')
    manifest_path = os.path.join(workdir, 'manifest.json')
    want = {'generator': GENERATOR_VERSION, 'files': args.files, 'big_mib': args.big_mib, 'python': python}
    if os.path.exists(manifest_path) and not args.fresh:
        try:
            with open(manifest_path) as f:
                manifest = json.load(f)
            if manifest.get('params') == want and all(
                    os.path.getsize(os.path.join(models, e['path'])) == e['bytes'] for e in manifest['files']):
                say('# reusing %s (%d files)' % (models, len(manifest['files'])))
                return models, manifest
        except (OSError, ValueError, KeyError, TypeError):
            pass
        say('# %s was made with other parameters (or is incomplete): making it again' % workdir)
    if os.path.isdir(workdir) and os.listdir(workdir) and not os.path.exists(manifest_path):
        sys.exit('bench-scan: %s exists, is not empty and has no manifest.json of this script; '
                 'pass another --workdir' % workdir)
    if os.path.isdir(models):
        shutil.rmtree(models)
    if os.path.exists(manifest_path):
        os.unlink(manifest_path)
    os.makedirs(models)
    say('# making %d files + %d MiB of big checkpoints in %s with %s' % (args.files, args.big_mib, models, python))
    t0 = time.perf_counter()
    made = subprocess.run([python, os.path.abspath(__file__), '--make-side', '--out', models,
                           '--files', str(args.files), '--big-mib', str(args.big_mib)],
                          stdout=subprocess.PIPE, check=True)
    manifest = json.loads(made.stdout.decode())
    manifest['params'] = want
    manifest['made_in_s'] = round(time.perf_counter() - t0, 1)
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1)
    say('# made in %.0f s' % manifest['made_in_s'])
    return models, manifest


# ---------------------------------------------------------------------------
# Running and timing.

def run(argv, outdir, tag, env=None):
    """Runs argv with stdout and stderr to files; wall time and the child's CPU time."""
    out_path = os.path.join(outdir, tag + '.out')
    err_path = os.path.join(outdir, tag + '.err')
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out_path, 'wb') as out, open(err_path, 'wb') as err:
        t0 = time.perf_counter()
        rc = subprocess.call(argv, stdout=out, stderr=err, env=env)
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out_path, 'rb') as f:
        stdout = f.read().decode('utf-8', 'replace')
    with open(err_path, 'rb') as f:
        stderr = f.read().decode('utf-8', 'replace')
    return {'wall_s': wall, 'user_s': after.ru_utime - before.ru_utime,
            'sys_s': after.ru_stime - before.ru_stime, 'rc': rc, 'stdout': stdout, 'stderr': stderr}


def parse_pickle_scan(r):
    try:
        report = json.loads(r['stdout'])
        return report['summary'], [f for f in report['files'] if f['verdict'] != 'safe']
    except (ValueError, KeyError, TypeError):
        sys.exit('bench-scan: pickle scan exited with %d and printed no JSON report: %s'
                 % (r['rc'], (r['stderr'] or r['stdout'])[-2000:]))


SUMMARY_FIELDS = ('Scanned files', 'Infected files', 'Suspicious globals', 'Dangerous globals')
# picklescan's log lines (its logger prints to stdout), by kind: (kind, regex whose group 1 is the file).
PICKLESCAN_MESSAGES = (
    ('could not parse as pickle (not scanned)', r'WARNING: could not parse (.+?) as pickle'),
    ('error parsing pickle (scan error)', r'ERROR: parsing pickle in (.+?): '),
    ('invalid PyTorch magic number', r'WARNING: Invalid PyTorch magic number for file (.+?): '),
    ('invalid file in zip archive', r'Invalid file .+? in zip archive (.+?): '),
    ('dangerous or suspicious global', r'^(.+?): (?:dangerous|suspicious)[^:]* import '),
)


def parse_picklescan(r, models):
    summary = {}
    for name in SUMMARY_FIELDS:
        m = re.search(r'^%s: (\d+)$' % name, r['stdout'], re.M)
        summary[name] = int(m.group(1)) if m else None
    messages = {}
    for line in r['stdout'].splitlines():
        for kind, rx in PICKLESCAN_MESSAGES:
            m = re.search(rx, line)
            if m:
                messages.setdefault(kind, []).append(os.path.relpath(m.group(1), models)
                                                     if m.group(1).startswith('/') else m.group(1))
                break
    if 'Unhandled exception' in r['stdout'] or r['stderr'].strip():
        messages.setdefault('other output (stderr or an unhandled exception)', []).append(
            (r['stdout'][r['stdout'].find('Unhandled exception'):] if 'Unhandled exception' in r['stdout']
             else r['stderr']).strip()[-1500:])
    return summary, messages


def summarize(runs):
    out = {k: statistics.median(x[k] for x in runs) for k in ('wall_s', 'user_s', 'sys_s')}
    out['cpu_s'] = statistics.median(x['user_s'] + x['sys_s'] for x in runs)
    out['min_wall_s'] = min(x['wall_s'] for x in runs)
    out['runs_wall_s'] = [round(x['wall_s'], 4) for x in runs]
    return out


def secs(s):
    return '%.1f ms' % (s * 1e3) if s < 1 else '%.2f s' % s


def picklescan_version(d):
    v = '?'
    try:
        with open(os.path.join(d, 'setup.cfg')) as f:
            m = re.search(r'^version\s*=\s*(\S+)', f.read(), re.M)
            v = m.group(1) if m else v
    except OSError:
        pass
    if os.path.exists(os.path.join(d, '.git')):
        head = subprocess.run(['git', '-C', d, 'rev-parse', '--short', 'HEAD'], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, universal_newlines=True).stdout.strip()
        if head:
            v += ' (' + head + ')'
    return v


def skip(args, why):
    line = 'bench-scan: SKIPPED: ' + why
    if args.json == '-':
        say(line)
        print(json.dumps({'skipped': why}))
    else:
        print(line, flush=True)
        if args.json:
            with open(args.json, 'w') as f:
                json.dump({'skipped': why}, f)
    sys.exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--picklescan', metavar='DIR',
                    help='a checkout of github.com/mmaitre314/picklescan (DIR/src/picklescan); '
                         'without it the benchmark is SKIPPED')
    ap.add_argument('--python', default='/usr/bin/python3',
                    help='the Python that makes the folder and runs picklescan; it needs numpy, torch, '
                         'pandas, scikit-learn and joblib (default: /usr/bin/python3)')
    ap.add_argument('--build', action='store_true', help='configure and build the release preset first (pickle_cli)')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build', 'release'),
                    help='a build with the pickle CLI (default: build/release)')
    ap.add_argument('--cli', help='the pickle program (default: BUILD_DIR/pickle)')
    ap.add_argument('--files', type=int, default=300, help='files in the folder, besides the big ones (default 300)')
    ap.add_argument('--big-mib', type=int, default=128,
                    help='MiB of big checkpoints in the folder, in three files (default 128; 0 for none)')
    ap.add_argument('--workdir', default='/tmp/pickle-bench-scan',
                    help='where the folder is made and kept for the next run (default /tmp/pickle-bench-scan)')
    ap.add_argument('--fresh', action='store_true', help='make the folder again even if it matches')
    ap.add_argument('--repeat', type=int, default=3, help='timed runs of each command, after one untimed (default 3)')
    ap.add_argument('--json', nargs='?', const='-', metavar='FILE',
                    help='print the figures as one JSON object instead of the table; with FILE, '
                         'write it there and print the table')
    ap.add_argument('--make-side', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--out', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.files < 1 or args.big_mib < 0 or args.repeat < 1:
        ap.error('--files and --repeat must be at least 1, --big-mib at least 0')
    if args.make_side:
        return make_side(args)

    # picklescan first: without it there is nothing to compare, and nothing is made.
    if not args.picklescan:
        skip(args, 'no --picklescan DIR given (git clone https://github.com/mmaitre314/picklescan DIR, '
                   'then pass --picklescan DIR)')
    ps_dir = os.path.abspath(args.picklescan)
    ps_path = os.path.join(ps_dir, 'src')
    if not os.path.isfile(os.path.join(ps_path, 'picklescan', '__main__.py')):
        if os.path.isfile(os.path.join(ps_dir, 'picklescan', '__main__.py')):
            ps_path = ps_dir  # DIR is the src folder itself, or a site-packages
        else:
            skip(args, 'picklescan not found: no %s/src/picklescan/__main__.py (git clone '
                       'https://github.com/mmaitre314/picklescan %s)' % (ps_dir, ps_dir))
    python = shutil.which(args.python) or args.python
    probe = subprocess.run([python, '-c', 'import sys, json\nv = {}\nfor m in %r:\n    try:\n'
                            '        v[m] = __import__(m).__version__\n    except Exception as e:\n'
                            '        v[m] = None\nprint(json.dumps(v))' % (LIBRARIES,)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if probe.returncode != 0:
        skip(args, '%s does not run: %s' % (python, probe.stderr.strip()[-300:]))
    missing = [m for m, v in json.loads(probe.stdout).items() if v is None]
    if missing:
        skip(args, '%s lacks %s, which the folder needs (Debian 12: apt-get install python3-numpy '
                   'python3-torch python3-pandas python3-sklearn python3-joblib)' % (python, ', '.join(missing)))

    if args.build:
        subprocess.run(['cmake', '--preset', 'release'], cwd=ROOT, check=True, stdout=sys.stderr)
        subprocess.run(['cmake', '--build', '--preset', 'release', '-j', str(os.cpu_count() or 2),
                        '--target', 'pickle_cli'], cwd=ROOT, check=True, stdout=sys.stderr)
    cli = os.path.abspath(args.cli or os.path.join(args.build_dir, 'pickle'))
    if not os.access(cli, os.X_OK):
        sys.exit('bench-scan: %s not found; pass --build, --build-dir of a release build, or --cli' % cli)

    cores = os.cpu_count() or 1
    git = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, universal_newlines=True).stdout.strip() or '?'
    build_type = '?'
    try:
        with open(os.path.join(os.path.dirname(cli), 'CMakeCache.txt')) as f:
            m = re.search(r'^CMAKE_BUILD_TYPE:STRING=(.*)$', f.read(), re.M)
            build_type = m.group(1) if m else '?'
    except OSError:
        pass
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    machine = {'cpu': cpu, 'cores': cores, 'kernel': platform.release(), 'git': git, 'cli': cli,
               'build_type': build_type, 'load_average_before': list(os.getloadavg())}
    say('# tree %s, %s (%s), %s, %d cores, kernel %s; load average %s'
        % (git, cli, build_type, cpu, cores, machine['kernel'],
           ' '.join('%.2f' % x for x in machine['load_average_before'])))

    models, manifest = folder(args, python)
    files = manifest['files']
    total_bytes = sum(e['bytes'] for e in files)
    big_files = [e for e in files if e['kind'] == 'big']
    by_kind = {}
    for e in files:
        k = by_kind.setdefault(e['kind'], {'files': 0, 'bytes': 0})
        k['files'] += 1
        k['bytes'] += e['bytes']

    # Which files picklescan's folder walk looks at (by extension), asked of picklescan itself.
    env = dict(os.environ)
    env['PYTHONPATH'] = ps_path + (os.pathsep + env['PYTHONPATH'] if env.get('PYTHONPATH') else '')
    exts = subprocess.run([python, '-c', 'import json, picklescan.scanner as s\nprint(json.dumps(sorted('
                           's._zip_file_extensions | s._pickle_file_extensions | s._pytorch_file_extensions)))'],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    ps_exts = json.loads(exts.stdout) if exts.returncode == 0 else None
    ps_seen = [e for e in files if ps_exts is None or os.path.splitext(e['path'])[1] in ps_exts]

    outdir = os.path.join(os.path.abspath(args.workdir), 'runs')
    os.makedirs(outdir, exist_ok=True)
    big_dir = os.path.join(models, 'big')
    ps_argv = lambda path: [python, '-m', 'picklescan', '--path', path]
    commands = [
        ('pickle_scan', 'pickle scan --json (default jobs: %d cores)' % cores, [cli, 'scan', '--json', models], None),
        ('pickle_scan_j1', 'pickle scan --json --jobs 1', [cli, 'scan', '--json', '--jobs', '1', models], None),
        ('picklescan', 'picklescan --path', ps_argv(models), env),
    ]
    if big_files:
        commands += [
            ('pickle_scan_big', 'pickle scan --json, big/ only', [cli, 'scan', '--json', big_dir], None),
            ('picklescan_big', 'picklescan --path, big/ only', ps_argv(big_dir), env),
        ]

    say('# warm-up: each command once, untimed')
    first = {}
    for key, label, argv, e in commands:
        first[key] = run(argv, outdir, key + '-warmup', e)
        say('#   %-40s %s (exit %d)' % (label, secs(first[key]['wall_s']), first[key]['rc']))
    timed = {key: [] for key, _, _, _ in commands}
    for rnd in range(args.repeat):
        for key, label, argv, e in commands:
            r = run(argv, outdir, '%s-%d' % (key, rnd + 1), e)
            timed[key].append(r)
        say('# round %d/%d: %s' % (rnd + 1, args.repeat, ', '.join(
            '%s %s' % (k, secs(timed[k][-1]['wall_s'])) for k, _, _, _ in commands)))

    # Verdicts, from the untimed run; every timed run must agree with it.
    result = {'machine': machine, 'repeat': args.repeat, 'workdir': os.path.abspath(args.workdir),
              'folder': {'path': models, 'files': len(files), 'bytes': total_bytes, 'by_kind': by_kind,
                         'big_files': len(big_files), 'big_bytes': sum(e['bytes'] for e in big_files),
                         'versions': manifest.get('versions'),
                         'picklescan_extensions': ps_exts, 'picklescan_looks_at_files': len(ps_seen),
                         'picklescan_looks_at_bytes': sum(e['bytes'] for e in ps_seen)},
              'picklescan': {'dir': ps_dir, 'version': picklescan_version(ps_dir), 'python': python},
              'runs': {}}
    for key, label, argv, e in commands:
        row = {'label': label, 'command': qjoin(argv) if e is None else
               'PYTHONPATH=%s %s' % (shlex.quote(ps_path), qjoin(argv)), 'exit': first[key]['rc']}
        row.update(summarize(timed[key]))
        if key.startswith('pickle_scan'):
            summary, not_safe = parse_pickle_scan(first[key])
            row['summary'] = summary
            row['not_safe'] = not_safe
            for r in timed[key]:
                if parse_pickle_scan(r)[0] != summary:
                    row['unsteady'] = 'a timed run reported %s' % parse_pickle_scan(r)[0]
        else:
            summary, messages = parse_picklescan(first[key], models)
            row['summary'] = summary
            row['messages'] = messages
            # `python -m picklescan` exits 0 whatever main() returns (its __main__.py calls
            # main() without sys.exit); this is the status its `picklescan` command would have.
            row['status_of_main'] = (2 if any(k.startswith(('error', 'other')) for k in messages) else
                                     1 if summary.get('Dangerous globals') else 0)
            for r in timed[key]:
                if parse_picklescan(r, models)[0] != summary:
                    row['unsteady'] = 'a timed run reported %s' % parse_picklescan(r, models)[0]
        result['runs'][key] = row
    for mine, theirs in (('pickle_scan', 'picklescan'), ('pickle_scan_j1', 'picklescan'),
                         ('pickle_scan_big', 'picklescan_big')):
        if mine in result['runs']:
            m, t = result['runs'][mine], result['runs'][theirs]
            m['ratio_wall'] = t['wall_s'] / m['wall_s']
            m['ratio_cpu'] = t['cpu_s'] / m['cpu_s'] if m['cpu_s'] > 0 else None
    result['goal'] = {'ratio': GOAL, 'met_default_jobs': result['runs']['pickle_scan']['ratio_wall'] >= GOAL,
                      'met_jobs_1': result['runs']['pickle_scan_j1']['ratio_wall'] >= GOAL}
    machine['load_average_after'] = list(os.getloadavg())

    if args.json == '-':
        print(json.dumps(result, indent=1))
    else:
        report(result)
        if args.json:
            with open(args.json, 'w') as f:
                json.dump(result, f, indent=1)


def report(r):
    fo, runs, ps = r['folder'], r['runs'], r['runs']['picklescan']
    v = fo.get('versions') or {}
    print()
    print('Folder %s: %d files, %.1f MiB (%d big checkpoints, %.1f MiB), made by Python %s with numpy %s, '
          'torch %s, pandas %s, scikit-learn %s, joblib %s.'
          % (fo['path'], fo['files'], fo['bytes'] / MiB, fo['big_files'], fo['big_bytes'] / MiB,
             v.get('python'), v.get('numpy'), v.get('torch'), v.get('pandas'), v.get('sklearn'), v.get('joblib')))
    print('By kind: ' + ', '.join('%s %d (%.1f MiB)' % (k, x['files'], x['bytes'] / MiB)
                                  for k, x in sorted(fo['by_kind'].items())) + '.')
    if fo['picklescan_extensions'] is not None:
        print('picklescan %s looks at %d of the files (%.1f MiB): its folder walk takes only %s.'
              % (r['picklescan']['version'], fo['picklescan_looks_at_files'], fo['picklescan_looks_at_bytes'] / MiB,
                 ' '.join(fo['picklescan_extensions'])))
    m = r['machine']
    print('Median of %d runs after one untimed run each (page cache warm), rounds interleaved; %s, %d cores, '
          'load average %s before, %s after.'
          % (r['repeat'], m['cpu'], m['cores'], ' '.join('%.2f' % x for x in m['load_average_before']),
             ' '.join('%.2f' % x for x in m['load_average_after'])))
    print()
    print('| command | wall (median) | runs | user | sys | picklescan / this, wall | picklescan / this, CPU | verdicts |')
    print('|---|---|---|---|---|---|---|---|')
    for key, row in runs.items():
        if key.startswith('pickle_scan'):
            s = row['summary']
            verdicts = '%d files: %d safe, %d unsafe, %d unknown, %d error; exit %d' % (
                s['files'], s['safe'], s['unsafe'], s['unknown'], s['error'], row['exit'])
        else:
            s = row['summary']
            verdicts = '; '.join('%s: %s' % (k, s[k]) for k in SUMMARY_FIELDS) + '; exit %d' % row['exit']
            if row['status_of_main'] != row['exit']:
                verdicts += ' (main() returned %d)' % row['status_of_main']
        ratio_w = '**%.1fx**' % row['ratio_wall'] if 'ratio_wall' in row else '1x'
        ratio_c = ('%.1fx' % row['ratio_cpu'] if row.get('ratio_cpu') else '?') if 'ratio_wall' in row else '1x'
        print('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
            row['label'], secs(row['wall_s']), ' '.join(secs(x) for x in row['runs_wall_s']),
            secs(row['user_s']), secs(row['sys_s']), ratio_w, ratio_c, verdicts))
    print()
    if 'pickle_scan_big' in runs:
        b = runs['pickle_scan_big']
        print('big/ alone: %.1f MiB in %s with pickle scan, %.1f GB/s of file bytes (the tensor storages are '
              'not read), and %s with picklescan.' % (fo['big_bytes'] / MiB, secs(b['wall_s']),
                                                      fo['big_bytes'] / b['wall_s'] / 1e9,
                                                      secs(runs['picklescan_big']['wall_s'])))
    print('picklescan\'s "Scanned files" counts each array of an .npz as a file; "Suspicious globals" are '
          'names on neither of its lists; `python -m picklescan` exits 0 whatever its main() returns.')
    g = r['goal']
    print('Goal, pickle scan at least %.0fx faster than picklescan (wall time): %s with the default jobs '
          '(%.1fx), %s with --jobs 1 (%.1fx).'
          % (g['ratio'], 'met' if g['met_default_jobs'] else 'NOT met', runs['pickle_scan']['ratio_wall'],
             'met' if g['met_jobs_1'] else 'NOT met', runs['pickle_scan_j1']['ratio_wall']))
    for key, row in runs.items():
        if row.get('unsteady'):
            print('%s: the verdicts changed between runs: %s' % (row['label'], row['unsteady']))
    not_safe = runs['pickle_scan']['not_safe']
    if not_safe:
        print()
        print('pickle scan found %d file(s) not safe in this benign folder (a bug to look at):' % len(not_safe))
        for f in not_safe:
            print('- %s: %s' % (os.path.relpath(f['path'], fo['path']), f['verdict']))
            for x in f['findings'][:10]:
                print('    %s%s: %s: %s (%s): %s' % (''.join('[%s]' % mm for mm in x.get('member') or []),
                                                     ':%s' % x.get('offset'), x.get('verdict'),
                                                     x.get('callable'), x.get('opcode'), x.get('why')))
            if len(f['findings']) > 10:
                print('    ... %d more' % (len(f['findings']) - 10))
    for key in ('picklescan', 'picklescan_big'):
        msgs = runs.get(key, {}).get('messages')
        if msgs:
            print()
            print('%s printed:' % runs[key]['label'])
            for kind, where in msgs.items():
                shown = ', '.join(where[:6]) + (', ... (%d in all)' % len(where) if len(where) > 6 else '')
                print('- %s: %d: %s' % (kind, len(where), shown))
    print()
    print('Commands:')
    print('- `%s`' % qjoin([sys.executable] + sys.argv))
    for key, row in runs.items():
        print('- `%s`' % row['command'])


if __name__ == '__main__':
    main()
