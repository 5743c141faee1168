using SearchRec.Core;
using SearchRec.Core.Statistics;
using SearchRec.Ranking.Interleaving;

namespace SearchRec.Evaluation.Interleaving;

/// <summary>
/// The outcome of an interleaving comparison over many shown lists: wins, losses and ties among the lists a user
/// engaged with, the preference Δ of Chapelle et al. (TOIS 2012) and the sign test's p-value.
/// </summary>
/// <param name="Impressions">Interleaved lists shown.</param>
/// <param name="Engaged">Lists the user engaged with (the only ones that say anything).</param>
/// <param name="ControlWins">Engaged lists where the control's picks earned more.</param>
/// <param name="ChallengerWins">Engaged lists where the challenger's picks earned more.</param>
/// <param name="Ties">Engaged lists where both earned the same.</param>
public sealed record InterleavingSummary(int Impressions, int Engaged, int ControlWins, int ChallengerWins, int Ties)
{
    /// <summary>
    /// Δ = (challenger wins + ties / 2) / engaged lists − 1/2, in [−0.5, 0.5]: positive when users prefer the
    /// challenger; 0 without engaged lists.
    /// </summary>
    public double Preference => Engaged > 0 ? (ChallengerWins + 0.5 * Ties) / Engaged - 0.5 : 0;

    /// <summary>Two-sided sign-test p-value of the wins against the losses (ties left out).</summary>
    public double PValue => SignificanceTests.SignTest(ChallengerWins, ControlWins);

    /// <summary>Adds up the credits of shown lists.</summary>
    public static InterleavingSummary Of(IEnumerable<InterleavingCredit> credits)
    {
        Guard.NotNull(credits);
        int impressions = 0, engaged = 0, a = 0, b = 0, ties = 0;
        foreach (var c in credits)
        {
            impressions++;
            if (!c.Engaged) continue;
            engaged++;
            switch (c.Winner)
            {
                case InterleavingTeam.Control: a++; break;
                case InterleavingTeam.Challenger: b++; break;
                default: ties++; break;
            }
        }
        return new InterleavingSummary(impressions, engaged, a, b, ties);
    }
}
