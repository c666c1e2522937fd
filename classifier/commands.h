// The offline subcommands of sieve-classifier: train a model from a corpus, evaluate on a
// held-out split. The server itself is ClassifierServer.
//
// Thread-safety: pure functions over files; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "classifier/corpus.h"
#include "classifier/naive_bayes.h"
#include "common/status.h"

namespace sieve::classifier {

// Reads CORPUS (text,label CSV), trains on all of it and saves the model to `output`.
// Returns the trained model. Errors from ReadCorpus, NaiveBayesModel::Train, SaveModel.
Result<NaiveBayesModel> TrainFromCorpus(const std::string& corpus_path, const std::string& output,
                                        const TrainOptions& options);

// Reads CORPUS, holds out `holdout_fraction` of each label (StratifiedSplit with `seed`),
// trains on the rest and evaluates on the held-out part.
// InvalidArgument unless 0 < holdout_fraction < 1.
Result<Evaluation> EvaluateOnHoldout(const std::string& corpus_path, double holdout_fraction,
                                     std::uint64_t seed, const TrainOptions& options);

}  // namespace sieve::classifier
