using Lucene.Net.Documents;
using Lucene.Net.Util;
using SearchRec.Core;

namespace SearchRec.Index.Internals;

/// <summary>
/// Fills one reusable <see cref="Document"/> per indexing thread; field instances are reused across products
/// (multi-valued fields come from small growing pools) so indexing allocates little beyond the analysis itself.
/// </summary>
internal sealed class DocumentBuilder
{
    private static readonly FieldType DoubleStored = new(DoubleField.TYPE_STORED) { IsIndexed = true };

    private readonly Document _doc = new();
    private readonly StringField _id = new(IndexFields.Id, "", Field.Store.YES);
    private readonly BinaryDocValuesField _idValue = new(IndexFields.Id, new BytesRef());
    private readonly NumericDocValuesField _ordinal = new(IndexFields.Ordinal, 0L);
    private readonly TextField _title = new(IndexFields.Title, "", Field.Store.YES);
    private readonly TextField _bigram = new(IndexFields.Bigram, "", Field.Store.NO);
    private readonly TextField _brand = new(IndexFields.Brand, "", Field.Store.YES);
    private readonly StringField _brandKey = new(IndexFields.BrandKey, "", Field.Store.NO);
    private readonly DoubleField _price = new(IndexFields.Price, 0d, DoubleStored);
    private readonly List<TextField> _categories = [];
    private readonly List<StringField> _categoryKeys = [];
    private readonly List<TextField> _attributes = [];
    private readonly List<StoredField> _attributeStore = [];
    private readonly BinaryDocValuesField _productValue = new(IndexFields.ProductValue, new BytesRef());
    private readonly MemoryStream _productBytes = new();
    private readonly bool _withProductValue;

    /// <param name="productDocValues">Also keep the product as one binary doc value (<see cref="IndexOptions.ProductDocValues"/>).</param>
    public DocumentBuilder(bool productDocValues = true) => _withProductValue = productDocValues;

    public Document Fill(Product p, long ordinal)
    {
        var fields = _doc.Fields;
        fields.Clear();
        _ordinal.SetInt64Value(ordinal);
        fields.Add(_ordinal);
        _id.SetStringValue(p.Id);
        fields.Add(_id);
        _idValue.SetBytesValue(new BytesRef(p.Id));
        fields.Add(_idValue);
        _title.SetStringValue(p.Title);
        fields.Add(_title);
        _bigram.SetStringValue(p.Title);
        fields.Add(_bigram);
        if (!string.IsNullOrWhiteSpace(p.Brand))
        {
            _brand.SetStringValue(p.Brand);
            fields.Add(_brand);
            _brandKey.SetStringValue(IndexFields.Key(p.Brand));
            fields.Add(_brandKey);
        }
        var cats = p.Category;
        for (var i = 0; i < cats.Count; i++)
        {
            if (_categories.Count <= i)
            {
                _categories.Add(new TextField(IndexFields.Category, "", Field.Store.YES));
                _categoryKeys.Add(new StringField(IndexFields.CategoryKey, "", Field.Store.NO));
            }
            _categories[i].SetStringValue(cats[i]);
            fields.Add(_categories[i]);
            _categoryKeys[i].SetStringValue(IndexFields.Key(cats[i]));
            fields.Add(_categoryKeys[i]);
        }
        var n = 0;
        foreach (var (name, values) in p.Attributes)
        {
            for (var j = 0; j < values.Count; j++, n++)
            {
                if (_attributes.Count <= n)
                {
                    _attributes.Add(new TextField(IndexFields.Attributes, "", Field.Store.NO));
                    _attributeStore.Add(new StoredField(IndexFields.AttributeStore, ""));
                }
                _attributes[n].SetStringValue(values[j]);
                fields.Add(_attributes[n]);
                _attributeStore[n].SetStringValue(name + IndexFields.AttributeSeparator + values[j]);
                fields.Add(_attributeStore[n]);
            }
        }
        if (p.Price is { } price)
        {
            _price.SetDoubleValue(price);
            fields.Add(_price);
        }
        if (_withProductValue)
        {
            // Lucene copies the bytes when the document is added, so one buffer per builder serves every product.
            ProductCodec.Write(p, _productBytes);
            if (_productBytes.Length <= ProductCodec.MaxLength)
            {
                _productValue.SetBytesValue(new BytesRef(_productBytes.GetBuffer(), 0, (int)_productBytes.Length));
                fields.Add(_productValue);
            }
        }
        return _doc;
    }

    /// <summary>Rebuilds a product from a stored document.</summary>
    public static Product Read(Document d)
    {
        var id = d.Get(IndexFields.Id) ?? "";
        var title = d.Get(IndexFields.Title) ?? "";
        var brand = d.Get(IndexFields.Brand);
        var category = d.GetValues(IndexFields.Category) ?? [];
        var stored = d.GetValues(IndexFields.AttributeStore);
        var attributes = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (stored is not null)
        {
            foreach (var pair in stored)
            {
                var sep = pair.IndexOf(IndexFields.AttributeSeparator);
                if (sep < 0) continue;
                var name = pair[..sep];
                if (!attributes.TryGetValue(name, out var list)) attributes[name] = list = new List<string>();
                ((List<string>)list).Add(pair[(sep + 1)..]);
            }
        }
        double? price = d.GetField(IndexFields.Price)?.GetDoubleValue();
        return new Product(id, title, brand, category, attributes, price);
    }
}
