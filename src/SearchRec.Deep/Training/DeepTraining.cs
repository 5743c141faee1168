using System.Diagnostics;
using SearchRec.Core;
using SearchRec.Core.Events;
using SearchRec.Deep.Model;
using SearchRec.Deep.Onnx;
using SearchRec.Deep.Scoring;
using SearchRec.Deep.Text;
using SearchRec.Text;

namespace SearchRec.Deep.Training;

/// <summary>Settings of <c>searchrec train-deep</c>. Property docs state the defaults.</summary>
public sealed class DeepTrainingOptions
{
    /// <summary>Random seed of initialisation, pair derivation and shuffling. Default 42.</summary>
    public int Seed { get; set; } = 42;
    /// <summary>Worker threads. Default: all cores. The result does not depend on it (fixed shards).</summary>
    public int Threads { get; set; } = Environment.ProcessorCount;
    /// <summary>Passes over the text pairs. Default 6.</summary>
    public int TextEpochs { get; set; } = 6;
    /// <summary>Passes over the behaviour sequences. Default 4.</summary>
    public int BehaviourEpochs { get; set; } = 4;
    /// <summary>Pairs per batch (in-batch negatives = batch − 1). Default 256.</summary>
    public int BatchSize { get; set; } = 256;
    /// <summary>Softmax temperature. Default 0.05.</summary>
    public float Temperature { get; set; } = 0.05f;
    /// <summary>Adam learning rate of the dense layers. Default 0.002.</summary>
    public float LearningRate { get; set; } = 2e-3f;
    /// <summary>Adam learning rate of the embedding rows. Default 0.005.</summary>
    public float EmbeddingLearningRate { get; set; } = 5e-3f;
    /// <summary>Text embedding width. Default 64.</summary>
    public int TextEmbeddingDim { get; set; } = 64;
    /// <summary>Hidden width of the tower MLPs. Default 128.</summary>
    public int Hidden { get; set; } = 128;
    /// <summary>Output (vector) dimension. Default 64.</summary>
    public int OutputDim { get; set; } = 64;
    /// <summary>Behaviour embedding width. Default 32.</summary>
    public int BehaviourEmbeddingDim { get; set; } = 32;
    /// <summary>Random title-span queries derived per product. Default 6.</summary>
    public int SpansPerTitle { get; set; } = 6;
    /// <summary>Times each judged pair is repeated per epoch. Default 3.</summary>
    public int JudgedPairRepeats { get; set; } = 3;
    /// <summary>
    /// True (default) ties the user and item towers (one embedding table and MLP): a user vector then lies near the
    /// items of their history, which suits logs where people come back to what they viewed.
    /// </summary>
    public bool ShareBehaviourTowers { get; set; } = true;
    /// <summary>
    /// True (default): when the models directory already holds a text model, the item tower also takes each item's
    /// text vector (event item id = catalog product id) and a has-text flag; items without text get zeros.
    /// </summary>
    public bool UseItemText { get; set; } = true;
    /// <summary>
    /// Share of next-item samples whose target item (one with text) is shown by its text alone, without its id and
    /// category, so the tower learns vectors for items no event has touched yet. Default 0.1.
    /// </summary>
    public double ItemTextDropout { get; set; } = 0.1;
    /// <summary>
    /// True: the text tower's input ids are weighted by their bucket's IDF over the catalog titles (stored beside the
    /// tower as <c>text-idf.bin</c>), so the bag's mean leans on rare grams as BM25 does. Default false: on
    /// ecom-search it lowered dense nDCG@10 (0.544 → 0.519 with the 128-wide tower).
    /// </summary>
    public bool IdfWeights { get; set; }
    /// <summary>
    /// How the text tower pools its bag of word and gram embeddings. Default <see cref="BagPooling.Mean"/>: attention
    /// gave a slightly better dense nDCG@10 on ecom-search (0.521 / 0.519 vs 0.518 / 0.498, inside the noise) but a
    /// worse LambdaMART feature there (0.838 vs 0.845), so the mean stays.
    /// </summary>
    public BagPooling TextPooling { get; set; } = BagPooling.Mean;
    /// <summary>Passes over the residual candidate lists (after the pair epochs), when <c>TrainText</c> gets any. Default 2.</summary>
    public int ResidualEpochs { get; set; } = 2;
    /// <summary>
    /// The fusion weight α (on the cosine, BM25 getting 1 − α) the residual lists are trained for. Each candidate's
    /// logit is cos/τ + β·bm25, with β = (1 − α) / (α·τ), so the softmax orders candidates exactly as the fused score
    /// (1 − α)·bm25 + α·cos does. Default 0.3 (β ≈ 46.7 at τ = 0.05).
    /// </summary>
    public double ResidualFusionWeight { get; set; } = 0.3;
    /// <summary>
    /// True: a residual list's softmax also takes every other list's candidates in the batch as negatives, at the
    /// row's smallest offset. Default false: only the query's own candidates, so the cosine learns BM25's residual only.
    /// </summary>
    public bool ResidualInBatch { get; set; }
    /// <summary>
    /// A models directory whose text tower (same buckets, dims and pooling) is the starting point: its weights are
    /// loaded and trained further (<see cref="TextEpochs"/> may then be 0). Default null: a fresh seeded tower.
    /// </summary>
    public string? InitialTextModel { get; set; }
    /// <summary>Featurizer of the text tower.</summary>
    public TextFeaturizerOptions Text { get; set; } = new();
    /// <summary>Featurizer of the behaviour towers.</summary>
    public BehaviourFeaturizerOptions Behaviour { get; set; } = new();
    /// <summary>
    /// Queries that derived pairs must never equal (e.g. the evaluation queries), compared with the set's own comparer:
    /// give it <see cref="QueryTextComparer.Instance"/> so twins (traditional characters, full width, spacing) are
    /// excluded too, as the CLI does. Default none.
    /// </summary>
    public IReadOnlySet<string>? ExcludeQueries { get; set; }

    /// <summary>Throws naming the first bad field.</summary>
    public void Validate()
    {
        // The upper bounds keep the towers' weight arrays within what an array and the machine hold.
        void Positive(int v, string name, int max = 4_096)
        {
            if (v < 1 || v > max) throw new ArgumentOutOfRangeException(name, v, $"DeepTrainingOptions.{name} must be from 1 to {max:N0}.");
        }
        Positive(Threads, nameof(Threads), 1_024); Positive(BatchSize, nameof(BatchSize), 65_536); Positive(TextEmbeddingDim, nameof(TextEmbeddingDim));
        Positive(Hidden, nameof(Hidden)); Positive(OutputDim, nameof(OutputDim)); Positive(BehaviourEmbeddingDim, nameof(BehaviourEmbeddingDim));
        if (TextEpochs < 0) throw new ArgumentOutOfRangeException(nameof(TextEpochs), TextEpochs, "DeepTrainingOptions.TextEpochs must be non-negative.");
        if (BehaviourEpochs < 0) throw new ArgumentOutOfRangeException(nameof(BehaviourEpochs), BehaviourEpochs, "DeepTrainingOptions.BehaviourEpochs must be non-negative.");
        if (SpansPerTitle < 0) throw new ArgumentOutOfRangeException(nameof(SpansPerTitle), SpansPerTitle, "DeepTrainingOptions.SpansPerTitle must be non-negative.");
        if (!(ItemTextDropout >= 0 && ItemTextDropout < 1)) throw new ArgumentOutOfRangeException(nameof(ItemTextDropout), ItemTextDropout, "DeepTrainingOptions.ItemTextDropout must be in [0, 1).");
        if (JudgedPairRepeats < 0) throw new ArgumentOutOfRangeException(nameof(JudgedPairRepeats), JudgedPairRepeats, "DeepTrainingOptions.JudgedPairRepeats must be non-negative.");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "DeepTrainingOptions.BatchSize must be at least 2 (in-batch negatives).");
        if (!(Temperature > 0)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "DeepTrainingOptions.Temperature must be positive.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "DeepTrainingOptions.LearningRate must be positive.");
        if (!(EmbeddingLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(EmbeddingLearningRate), EmbeddingLearningRate, "DeepTrainingOptions.EmbeddingLearningRate must be positive.");
        if (ResidualEpochs < 0) throw new ArgumentOutOfRangeException(nameof(ResidualEpochs), ResidualEpochs, "DeepTrainingOptions.ResidualEpochs must be non-negative.");
        if (!(ResidualFusionWeight > 0 && ResidualFusionWeight < 1)) throw new ArgumentOutOfRangeException(nameof(ResidualFusionWeight), ResidualFusionWeight, "DeepTrainingOptions.ResidualFusionWeight must be in (0, 1).");
        if (!Enum.IsDefined(TextPooling)) throw new ArgumentOutOfRangeException(nameof(TextPooling), TextPooling, "DeepTrainingOptions.TextPooling must be Mean, Sqrt, Max or Attention.");
        Guard.NotNull(Text).Validate();
        Guard.NotNull(Behaviour).Validate();
    }

    /// <summary>β: the scale of the normalised BM25 offset in the residual logits, (1 − α) / (α·τ).</summary>
    public float ResidualOffsetScale => (float)((1 - ResidualFusionWeight) / (ResidualFusionWeight * Temperature));

    internal TrainerOptions Trainer() => new()
    {
        BatchSize = BatchSize, Temperature = Temperature, LearningRate = LearningRate,
        EmbeddingLearningRate = EmbeddingLearningRate, Threads = Threads,
    };
}

/// <summary>
/// One query's candidates for residual training: BM25's candidates in BM25 order, their BM25 scores normalised as the
/// fusion normalises them (divided by the top score), and the candidate a teacher picks. The tower learns a cosine
/// that, added to BM25 with the fusion's weight, puts the teacher's pick first.
/// </summary>
/// <param name="Query">The (unjudged) query.</param>
/// <param name="Candidates">Product ids, BM25 order.</param>
/// <param name="Bm25">Normalised BM25 score of each candidate (same length).</param>
/// <param name="Target">Index of the teacher's pick.</param>
public sealed record ResidualList(string Query, IReadOnlyList<string> Candidates, IReadOnlyList<float> Bm25, int Target);

/// <summary>What a training run did: pairs or samples, losses per epoch, time, and the files written.</summary>
public sealed record DeepTrainingReport(string Tower, int Examples, IReadOnlyList<double> EpochLoss, TimeSpan Elapsed, IReadOnlyDictionary<string, long> FileBytes);

/// <summary>Trains the text and behaviour two-tower models in C#, exports them to ONNX and stores item vectors.</summary>
public static class DeepTraining
{
    /// <summary>
    /// Trains the shared text tower on judged pairs (<paramref name="judged"/>: query → product id) and weak pairs
    /// derived from <paramref name="products"/>, then writes <c>text-tower.onnx</c>, the item vectors of all
    /// products and <c>deep-model.json</c> into <paramref name="modelsDir"/>.
    /// </summary>
    public static DeepTrainingReport TrainText(IReadOnlyList<Product> products, IReadOnlyList<(string Query, string ProductId)> judged,
        string modelsDir, DeepTrainingOptions options, ITokenizer? tokenizer = null, Action<string>? progress = null,
        IReadOnlyList<(string Query, string ProductId)>? weakPairs = null, IReadOnlyList<string?>? weakNegatives = null,
        IReadOnlyList<ResidualList>? residualLists = null)
    {
        Guard.NotNull(products); Guard.NotNull(judged); Guard.NotNull(modelsDir); Guard.NotNull(options);
        options.Validate();
        if (products.Count == 0) throw new ArgumentException("the catalog has no products; nothing to train the text tower on.", nameof(products));
        var sw = Stopwatch.StartNew();
        var log = progress ?? (_ => { });
        var plain = new TextFeaturizer(options.Text, tokenizer);
        float[]? idf = null;
        if (options.IdfWeights)
        {
            var titles = new string[products.Count];
            for (var i = 0; i < titles.Length; i++) titles[i] = products[i].Title;
            idf = plain.Idf(titles);
        }
        var featurizer = idf is null ? plain : new TextFeaturizer(options.Text, tokenizer, idf);
        var rng = new Random(options.Seed);
        var titleBags = new Bag[products.Count];
        var byId = new Dictionary<string, int>(products.Count, StringComparer.Ordinal);
        for (var i = 0; i < products.Count; i++)
        {
            titleBags[i] = MakeBag(featurizer, products[i].Title);
            byId.TryAdd(products[i].Id, i);
        }
        var derived = TextPairs.Derive(products, tokenizer, options.SpansPerTitle, rng, options.ExcludeQueries);
        var examples = new List<PairExample>(derived.Count + judged.Count * options.JudgedPairRepeats);
        foreach (var (q, p) in derived) examples.Add(new PairExample(MakeBag(featurizer, q), titleBags[p], p));
        var judgedUsed = 0;
        foreach (var (q, id) in judged)
        {
            if (!byId.TryGetValue(id, out var p)) continue;
            judgedUsed++;
            var bag = MakeBag(featurizer, q);
            for (var r = 0; r < options.JudgedPairRepeats; r++) examples.Add(new PairExample(bag, titleBags[p], p));
        }
        var weakUsed = 0;
        var negativesUsed = 0;
        if (weakNegatives is not null && weakPairs is not null && weakNegatives.Count != weakPairs.Count)
            throw new ArgumentException($"weakNegatives has {weakNegatives.Count} entries; weakPairs has {weakPairs.Count}.", nameof(weakNegatives));
        for (var k = 0; k < (weakPairs?.Count ?? 0); k++)
        {
            var (q, id) = weakPairs![k];
            if (!byId.TryGetValue(id, out var p) || options.ExcludeQueries?.Contains(q) == true) continue;
            weakUsed++;
            var example = new PairExample(MakeBag(featurizer, q), titleBags[p], p);
            // A hard negative (e.g. BM25's runner-up) teaches the tower to separate look-alike titles.
            if (weakNegatives?[k] is { } neg && byId.TryGetValue(neg, out var np) && np != p)
            {
                example = example with { Negative = titleBags[np], NegativeKey = np };
                negativesUsed++;
            }
            examples.Add(example);
        }
        log($"text: {products.Count:N0} products, {derived.Count:N0} derived pairs, {weakUsed:N0} weak pairs ({negativesUsed:N0} with a hard negative), {judgedUsed:N0} judged pairs (×{options.JudgedPairRepeats}), featurized in {sw.Elapsed.TotalSeconds:F1} s");

        var tower = new BagTower("text_tower", options.Text.Buckets, options.TextEmbeddingDim, options.Hidden, options.OutputDim, pooling: options.TextPooling);
        tower.Initialize(new Random(options.Seed + 1));
        if (options.InitialTextModel is { } init)
        {
            var initInfo = DeepModelManifest.Read(init).Text ?? throw new InvalidDataException($"{init}: deep-model.json has no text model to start from.");
            if (initInfo.Buckets != options.Text.Buckets || initInfo.Dim != options.OutputDim)
                throw new InvalidDataException($"{init}: its text tower has {initInfo.Buckets} buckets and dim {initInfo.Dim}; this run needs {options.Text.Buckets} and {options.OutputDim}.");
            TowerReader.LoadInto(Path.Combine(init, initInfo.Tower), tower);
            log($"text: starting from the tower in {init}");
        }
        var trainer = new TwoTowerTrainer(tower, tower, options.Trainer());
        var losses = Train(trainer, examples, options.TextEpochs, rng, "text", log);
        var lists = Lists(residualLists, featurizer, titleBags, byId, options);
        if (lists.Count > 0)
        {
            log($"text: {lists.Count:N0} residual lists (β = {options.ResidualOffsetScale:F1} on normalised BM25, fusion weight {options.ResidualFusionWeight:0.###}, in-batch negatives {(options.ResidualInBatch ? "on" : "off")}); loss of the BM25 offsets alone {OffsetLoss(lists):F4}");
            var tick = Stopwatch.StartNew();
            for (var epoch = 1; epoch <= options.ResidualEpochs; epoch++)
            {
                var loss = trainer.ListEpoch(lists, rng, options.ResidualInBatch, (done, total, mean) =>
                {
                    if (tick.ElapsedMilliseconds < 3000) return;
                    tick.Restart();
                    log($"text: residual epoch {epoch}/{options.ResidualEpochs} {100.0 * done / total:F0}% loss {mean:F4}");
                });
                losses.Add(loss);
                log($"text: residual epoch {epoch}/{options.ResidualEpochs} done, mean loss {loss:F4}");
            }
        }

        Directory.CreateDirectory(modelsDir);
        var info = new TextModelInfo
        {
            Buckets = options.Text.Buckets, MaxChars = options.Text.MaxChars, MaxIds = options.Text.MaxIds,
            FoldTraditional = options.Text.FoldTraditional, Words = tokenizer is not null, Dim = options.OutputDim,
            BucketWeights = idf is null ? null : "text-idf.bin",
            Pooling = options.TextPooling.ToString().ToLowerInvariant(),
        };
        if (idf is not null) DeepScorer.WriteBucketWeights(Path.Combine(modelsDir, info.BucketWeights!), idf);
        var towerPath = Path.Combine(modelsDir, info.Tower);
        File.WriteAllBytes(towerPath, TowerExporter.Export(tower,
            $"SearchRec text tower: hashed words + char 1-3-grams -> {options.TextPooling.ToString().ToLowerInvariant()}-pooled embedding bag -> Linear-ReLU-Linear -> L2 normalise."));
        var vectors = new float[(long)products.Count * options.OutputDim];
        EncodeAll(tower, titleBags, vectors, options.Threads);
        var ids = new string[products.Count];
        var texts = new string[products.Count];
        for (var i = 0; i < products.Count; i++) { ids[i] = products[i].Id; texts[i] = products[i].Title; }
        var baseName = Path.Combine(modelsDir, info.ItemVectors);
        new ItemVectors(ids, texts, vectors, options.OutputDim).Write(baseName + ".bin", baseName + ".tsv");
        // A hubness correction belongs to the old vectors; opening the folder would refuse it.
        if (HubnessCorrection.Remove(modelsDir)) log($"text: removed the old tower's {HubnessCorrection.FileName}; run `searchrec hubness` again for the new one");
        var manifest = ReadOrNew(modelsDir);
        info.TrainSeconds = Math.Round(sw.Elapsed.TotalSeconds, 1);
        manifest.Text = info;
        manifest.Write(modelsDir);
        var files = Sizes(idf is null ? [towerPath, baseName + ".bin", baseName + ".tsv"] : [towerPath, baseName + ".bin", baseName + ".tsv", Path.Combine(modelsDir, info.BucketWeights!)]);
        log($"text: wrote {towerPath} and {products.Count:N0} item vectors in {sw.Elapsed.TotalSeconds:F1} s");
        return new DeepTrainingReport("text", examples.Count, losses, sw.Elapsed, files);
    }

    private static long LastTimestamp(IReadOnlyList<UserEvent> events)
    {
        long last = long.MinValue;
        foreach (var e in events) last = Math.Max(last, e.Timestamp);
        return last;
    }

    /// <summary>
    /// Trains the behaviour towers by next-item prediction over each user's events (sorted by time; repeats of
    /// the same item in a row collapsed), then writes <c>user-tower.onnx</c>, <c>item-tower.onnx</c> and the item
    /// vectors of every item in <paramref name="events"/>. When <paramref name="modelsDir"/> already holds a text
    /// model and <see cref="DeepTrainingOptions.UseItemText"/> is set, the item tower also takes the item's (frozen)
    /// text vector through a learned projection, and catalog items without events get text-only vectors.
    /// </summary>
    public static DeepTrainingReport TrainBehaviour(IReadOnlyList<UserEvent> events, string modelsDir, DeepTrainingOptions options, Action<string>? progress = null)
    {
        Guard.NotNull(events); Guard.NotNull(modelsDir); Guard.NotNull(options);
        options.Validate();
        var sw = Stopwatch.StartNew();
        var log = progress ?? (_ => { });
        var feat = new BehaviourFeaturizer(options.Behaviour);
        var histories = Histories(events);
        var itemCat = new Dictionary<long, long>();
        foreach (var e in events) itemCat[e.ItemId] = e.CategoryId;
        var text = options.UseItemText ? ReadTextVectors(modelsDir) : null;
        var textDim = text?.Dim ?? 0;
        var itemBags = new Dictionary<long, Bag>(itemCat.Count);
        var textOnly = new Dictionary<long, Bag>();
        foreach (var (it, cat) in itemCat)
        {
            var bagIds = new long[2]; var bagW = new float[2];
            feat.ItemBag(it, cat, bagIds, bagW);
            var side = text is null ? null : TextSide(text, it.ToString(System.Globalization.CultureInfo.InvariantCulture));
            itemBags[it] = new Bag(bagIds, bagW, side);
            if (side is not null && side[textDim] == 1f) textOnly[it] = new Bag([0L], [0f], side);
        }
        // A few chance matches (e.g. Taobao ids that happen to equal small catalog ids) must not pull in unrelated titles.
        if (text is not null && textOnly.Count < MinTextShare * itemCat.Count)
        {
            log($"behaviour: only {textOnly.Count:N0} of {itemCat.Count:N0} event items have a text vector (event ids do not look like catalog ids); the item tower takes ids and categories only");
            textOnly.Clear();
            text = null; textDim = 0;
            foreach (var it in itemCat.Keys) itemBags[it] = itemBags[it] with { Side = null };
        }
        var dropRng = new Random(options.Seed + 11);
        var examples = new List<PairExample>();
        var uid = new long[feat.MaxUserIds];
        var uw = new float[feat.MaxUserIds];
        foreach (var h in histories.Values)
        {
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(h);
            for (var t = 1; t < span.Length; t++)
            {
                var n = feat.UserBag(span[..t], uid, uw);
                var target = span[t].ItemId;
                var right = textOnly.TryGetValue(target, out var alone) && dropRng.NextDouble() < options.ItemTextDropout ? alone : itemBags[target];
                examples.Add(new PairExample(new Bag(uid[..n], uw[..n]), right, target));
            }
        }
        if (examples.Count < 2) throw new ArgumentException($"the events give {examples.Count} next-item samples; need at least 2 (users with two or more distinct consecutive items).", nameof(events));
        log($"behaviour: {histories.Count:N0} users, {itemCat.Count:N0} items ({textOnly.Count:N0} with a text vector), {examples.Count:N0} next-item samples");

        var rng = new Random(options.Seed + 7);
        var sideDim = textDim > 0 ? textDim + 1 : 0;
        // Tied towers share one object; the user side never feeds a side input, so its export ignores the projection.
        var user = new BagTower("user_tower", feat.Vocab, options.BehaviourEmbeddingDim, options.Hidden, options.OutputDim, options.ShareBehaviourTowers ? sideDim : 0);
        user.Initialize(new Random(options.Seed + 2));
        var item = user;
        if (!options.ShareBehaviourTowers)
        {
            item = new BagTower("item_tower", feat.Vocab, options.BehaviourEmbeddingDim, options.Hidden, options.OutputDim, sideDim);
            item.Initialize(new Random(options.Seed + 3));
        }
        var losses = Train(new TwoTowerTrainer(user, item, options.Trainer()), examples, options.BehaviourEpochs, rng, "behaviour", log);

        Directory.CreateDirectory(modelsDir);
        var info = new BehaviourModelInfo
        {
            ItemBuckets = options.Behaviour.ItemBuckets, CategoryBuckets = options.Behaviour.CategoryBuckets,
            HistoryLength = options.Behaviour.HistoryLength, HalfLife = options.Behaviour.HalfLife, Dim = options.OutputDim,
            ItemTextDim = textDim, LastTimestamp = LastTimestamp(events),
        };
        var userPath = Path.Combine(modelsDir, info.UserTower);
        var itemPath = Path.Combine(modelsDir, info.ItemTower);
        File.WriteAllBytes(userPath, TowerExporter.Export(user, "SearchRec user tower: recency- and intent-weighted bag of history item and category ids -> Linear-ReLU-Linear -> L2 normalise."));
        File.WriteAllBytes(itemPath, textDim > 0
            ? TowerExporter.Export(item, "SearchRec item tower: bag of item id and category id, plus the item's text vector and has-text flag through a learned projection -> Linear-ReLU-Linear -> L2 normalise.", withSide: true)
            : TowerExporter.Export(item, "SearchRec item tower: bag of item id and category id -> Linear-ReLU-Linear -> L2 normalise."));
        // Catalog items no event has touched (cold) get a text-only vector, so they can be recommended.
        var cold = new List<long>();
        if (text is not null)
            foreach (var id in text.Ids)
                if (long.TryParse(id, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var cid) && !itemBags.ContainsKey(cid))
                {
                    var side = TextSide(text, id);
                    cold.Add(cid);
                    itemBags[cid] = new Bag([0L], [0f], side);
                }
        var itemIds = new long[itemCat.Count + cold.Count];
        itemCat.Keys.CopyTo(itemIds, 0);
        cold.CopyTo(itemIds, itemCat.Count);
        Array.Sort(itemIds);
        var bags = new Bag[itemIds.Length];
        for (var i = 0; i < bags.Length; i++) bags[i] = itemBags[itemIds[i]];
        var vectors = new float[(long)bags.Length * options.OutputDim];
        EncodeAll(item, bags, vectors, options.Threads);
        var ids = new string[itemIds.Length];
        var texts = new string[itemIds.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = itemIds[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            texts[i] = itemCat.TryGetValue(itemIds[i], out var cat) ? cat.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        }
        var baseName = Path.Combine(modelsDir, info.ItemVectors);
        new ItemVectors(ids, texts, vectors, options.OutputDim).Write(baseName + ".bin", baseName + ".tsv");
        var manifest = ReadOrNew(modelsDir);
        info.TrainSeconds = Math.Round(sw.Elapsed.TotalSeconds, 1);
        manifest.Behaviour = info;
        manifest.Write(modelsDir);
        log($"behaviour: wrote {userPath}, {itemPath} and {ids.Length:N0} item vectors in {sw.Elapsed.TotalSeconds:F1} s");
        return new DeepTrainingReport("behaviour", examples.Count, losses, sw.Elapsed, Sizes(userPath, itemPath, baseName + ".bin", baseName + ".tsv"));
    }

    /// <summary>
    /// How many next-item samples <see cref="TrainBehaviour"/> would learn from <paramref name="events"/>: each user's
    /// events after their first, once consecutive repeats of one item are collapsed. It refuses fewer than 2, so a
    /// caller that saves other models first can check before it writes anything.
    /// </summary>
    public static int NextItemSamples(IEnumerable<UserEvent> events)
    {
        Guard.NotNull(events);
        var n = 0;
        foreach (var h in Histories(events).Values) n += Math.Max(0, h.Count - 1);
        return n;
    }

    /// <summary>Each user's events sorted by time (stable), consecutive repeats of one item collapsed to the strongest.</summary>
    internal static Dictionary<long, List<UserEvent>> Histories(IEnumerable<UserEvent> events)
    {
        var byUser = new Dictionary<long, List<UserEvent>>();
        foreach (var e in events)
        {
            if (!byUser.TryGetValue(e.UserId, out var list)) byUser[e.UserId] = list = [];
            list.Add(e);
        }
        var result = new Dictionary<long, List<UserEvent>>(byUser.Count);
        foreach (var (u, list) in byUser) result[u] = Collapse(list);
        return result;
    }

    /// <summary>One user's events sorted by time (stable), consecutive repeats of one item collapsed to the strongest.</summary>
    internal static List<UserEvent> Collapse(IEnumerable<UserEvent> events)
    {
        var collapsed = new List<UserEvent>();
        foreach (var e in events.OrderBy(e => e.Timestamp))
        {
            if (collapsed.Count > 0 && collapsed[^1].ItemId == e.ItemId)
            {
                if (e.Behavior > collapsed[^1].Behavior) collapsed[^1] = collapsed[^1] with { Behavior = e.Behavior };
                continue;
            }
            collapsed.Add(e);
        }
        return collapsed;
    }

    private static List<double> Train(TwoTowerTrainer trainer, List<PairExample> examples, int epochs, Random rng, string name, Action<string> log)
    {
        var losses = new List<double>(epochs);
        var tick = Stopwatch.StartNew();
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            var loss = trainer.Epoch(examples, rng, (done, total, mean) =>
            {
                if (tick.ElapsedMilliseconds < 3000) return;
                tick.Restart();
                log($"{name}: epoch {epoch}/{epochs} {100.0 * done / total:F0}% loss {mean:F4}");
            });
            losses.Add(loss);
            log($"{name}: epoch {epoch}/{epochs} done, mean loss {loss:F4}");
        }
        return losses;
    }

    // Featurized residual lists; candidates not in the catalog are dropped (a list keeps its target or is skipped).
    private static List<ListExample> Lists(IReadOnlyList<ResidualList>? lists, TextFeaturizer featurizer, Bag[] titleBags, Dictionary<string, int> byId, DeepTrainingOptions options)
    {
        var result = new List<ListExample>(lists?.Count ?? 0);
        if (lists is null) return result;
        var beta = options.ResidualOffsetScale;
        for (var k = 0; k < lists.Count; k++)
        {
            var l = lists[k] ?? throw new ArgumentException($"residual list {k} is null.", nameof(lists));
            if (l.Candidates.Count != l.Bm25.Count)
                throw new ArgumentException($"residual list {k} ('{l.Query}'): {l.Candidates.Count} candidates but {l.Bm25.Count} BM25 scores.", nameof(lists));
            if ((uint)l.Target >= (uint)l.Candidates.Count)
                throw new ArgumentException($"residual list {k} ('{l.Query}'): target {l.Target} is outside its {l.Candidates.Count} candidates.", nameof(lists));
            if (options.ExcludeQueries?.Contains(l.Query.Trim()) == true) continue;
            var bags = new List<Bag>(l.Candidates.Count);
            var keys = new List<long>(l.Candidates.Count);
            var offsets = new List<float>(l.Candidates.Count);
            var target = -1;
            for (var j = 0; j < l.Candidates.Count; j++)
            {
                if (!byId.TryGetValue(l.Candidates[j], out var p)) continue;
                if (!float.IsFinite(l.Bm25[j])) throw new ArgumentException($"residual list {k} ('{l.Query}'): BM25 score {j} is {l.Bm25[j]}.", nameof(lists));
                if (j == l.Target) target = bags.Count;
                bags.Add(titleBags[p]); keys.Add(p); offsets.Add(beta * l.Bm25[j]);
            }
            if (target < 0 || bags.Count < 2) continue;
            result.Add(new ListExample(MakeBag(featurizer, l.Query), [.. bags], [.. keys], [.. offsets], target));
        }
        return result;
    }

    // Mean cross-entropy of the offsets alone (a constant cosine): the loss the tower has to beat.
    internal static double OffsetLoss(IReadOnlyList<ListExample> lists)
    {
        double total = 0;
        foreach (var l in lists)
        {
            var max = System.Numerics.Tensors.TensorPrimitives.Max(l.Offsets);
            double sum = 0;
            foreach (var o in l.Offsets) sum += Math.Exp(o - max);
            total += Math.Log(sum) - (l.Offsets[l.Target] - max);
        }
        return lists.Count == 0 ? 0 : total / lists.Count;
    }


    internal static Bag MakeBag(TextFeaturizer f, string text)
    {
        var buf = new long[f.Options.MaxIds];
        var n = f.Featurize(text, buf);
        var w = new float[n];
        f.Weigh(buf.AsSpan(0, n), w);
        return new Bag(buf[..n], w);
    }

    internal static void EncodeAll(BagTower t, Bag[] bags, float[] output, int threads)
    {
        Parallel.For(0, bags.Length, new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => (new float[t.Dim], new float[t.Hidden], new float[t.Hidden], new float[t.Output]),
            (i, _, s) =>
            {
                if (bags[i].Side is { } side) t.Forward(bags[i].Ids, bags[i].Weights, side, s.Item1, s.Item2, s.Item3, s.Item4, output.AsSpan(i * t.Output, t.Output));
                else t.Forward(bags[i].Ids, bags[i].Weights, s.Item1, s.Item2, s.Item3, s.Item4, output.AsSpan(i * t.Output, t.Output));
                return s;
            }, _ => { });
    }

    /// <summary>Share of event items that must have a text vector for the item tower to take text.</summary>
    internal const double MinTextShare = 0.1;

    private static ItemVectors? ReadTextVectors(string modelsDir)
    {
        if (!File.Exists(Path.Combine(modelsDir, DeepModelManifest.FileName))) return null;
        var info = DeepModelManifest.Read(modelsDir).Text;
        if (info is null) return null;
        var baseName = Path.Combine(modelsDir, info.ItemVectors);
        return ItemVectors.Read(baseName + ".bin", baseName + ".tsv");
    }

    /// <summary>The item tower's side input: the item's text vector and a has-text flag of 1, or all zeros without text.</summary>
    internal static float[] TextSide(ItemVectors text, string id)
    {
        var side = new float[text.Dim + 1];
        if (text.Index.TryGetValue(id, out var row))
        {
            text.Row(row).CopyTo(side);
            side[text.Dim] = 1f;
        }
        return side;
    }

    private static DeepModelManifest ReadOrNew(string dir) =>
        File.Exists(Path.Combine(dir, DeepModelManifest.FileName)) ? DeepModelManifest.Read(dir) : new DeepModelManifest();

    private static Dictionary<string, long> Sizes(params string[] paths)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in paths) d[Path.GetFileName(p)] = new FileInfo(p).Length;
        return d;
    }
}
