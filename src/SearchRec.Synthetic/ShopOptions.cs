namespace SearchRec.Synthetic;

/// <summary>Sizes, seed and clock of a synthetic shop. Checked by <see cref="Validate"/> when a generator is made.</summary>
public sealed class ShopOptions
{
    /// <summary>Number of products (100 to 10,000,000). Default 10,000.</summary>
    public int Products { get; set; } = 10_000;

    /// <summary>Number of users (1 to 10,000,000). Default 1,000.</summary>
    public int Users { get; set; } = 1_000;

    /// <summary>Average sessions per user (1 to 1,000). Default 10.</summary>
    public int SessionsPerUser { get; set; } = 10;

    /// <summary>Share of sessions that start with a search query (0 to 1); the rest are browsing. Default 0.7.</summary>
    public double SearchShare { get; set; } = 0.7;

    /// <summary>The seed: the same options and seed give byte-identical output. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>When the first session may start. Default 2017-11-25 00:00 +08:00, the start of the Taobao log.</summary>
    public DateTimeOffset StartTime { get; set; } = new(2017, 11, 25, 0, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Days over which sessions are spread (1 to 3,650). Default 9, as the Taobao log.</summary>
    public int Days { get; set; } = 9;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (Products is < 100 or > 10_000_000) Fail(nameof(Products), Products, "must be between 100 and 10,000,000");
        if (Users is < 1 or > 10_000_000) Fail(nameof(Users), Users, "must be between 1 and 10,000,000");
        if (SessionsPerUser is < 1 or > 1_000) Fail(nameof(SessionsPerUser), SessionsPerUser, "must be between 1 and 1,000");
        if (!(SearchShare is >= 0 and <= 1)) Fail(nameof(SearchShare), SearchShare, "must be between 0 and 1");
        if (Days is < 1 or > 3_650) Fail(nameof(Days), Days, "must be between 1 and 3,650");
        if (StartTime.ToUnixTimeSeconds() < 0) Fail(nameof(StartTime), StartTime, "must not be before 1970");
    }

    internal ShopOptions Clone() => (ShopOptions)MemberwiseClone();

    private static void Fail(string field, object value, string rule) =>
        throw new ArgumentException($"ShopOptions.{field} {rule} (was {value}).", field);
}
