using MobileJpki.Core;

namespace MobileJpki.Ra;

/// <summary>The hotline's accounts, sessions and searches (<c>Hotline:*</c>; docs/operations.md, "Hotline and audit log").</summary>
public sealed class HotlineOptions
{
    /// <summary>How long a sign-in lasts. Default 8 hours (one shift).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Sign-in attempts in a row from one source after which the account is locked for that source (for
    /// <see cref="SignInBackoff"/>, doubling each time up to <see cref="MaxSignInBackoff"/>) or until a supervisor
    /// unlocks it. Each attempt is counted before its password is compared, so no burst compares more. Default 5.
    /// </summary>
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long the first lock of an account for one source lasts. Default 1 minute.</summary>
    public TimeSpan SignInBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest lock: the doubling stops here. Default 1 hour.</summary>
    public TimeSpan MaxSignInBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>PBKDF2-SHA256 iterations for new passwords (each account keeps its own count). Default 210,000.</summary>
    public int PasswordIterations { get; set; } = 210_000;

    /// <summary>The most persons born on one day that a search reads. Default 10,000.</summary>
    public int MaxCandidates { get; set; } = 10_000;

    /// <summary>The first supervisor, created on start when it does not exist yet.</summary>
    public BootstrapSupervisorOptions BootstrapSupervisor { get; set; } = new();

    /// <summary>Fails start-up on values that cannot work.</summary>
    public void Validate()
    {
        if (SessionLifetime < TimeSpan.FromMinutes(1) || SessionLifetime > TimeSpan.FromDays(7))
        {
            throw new InvalidOperationException("Hotline:SessionLifetime must be between 1 minute and 7 days.");
        }

        if (MaxFailedSignIns is < 1 or > 100)
        {
            throw new InvalidOperationException("Hotline:MaxFailedSignIns must be between 1 and 100.");
        }

        if (SignInBackoff < TimeSpan.FromSeconds(1) || SignInBackoff > TimeSpan.FromDays(1))
        {
            throw new InvalidOperationException("Hotline:SignInBackoff must be between 1 second and 1 day.");
        }

        if (MaxSignInBackoff < SignInBackoff || MaxSignInBackoff > TimeSpan.FromDays(7))
        {
            throw new InvalidOperationException("Hotline:MaxSignInBackoff must be at least Hotline:SignInBackoff and at most 7 days.");
        }

        if (PasswordIterations is < 1_000 or > 10_000_000)
        {
            throw new InvalidOperationException("Hotline:PasswordIterations must be between 1,000 and 10,000,000.");
        }

        if (MaxCandidates is < 1 or > 1_000_000)
        {
            throw new InvalidOperationException("Hotline:MaxCandidates must be between 1 and 1,000,000.");
        }

        var b = BootstrapSupervisor;
        if (string.IsNullOrEmpty(b.Name) != string.IsNullOrEmpty(b.Password))
        {
            throw new InvalidOperationException("Hotline:BootstrapSupervisor needs both Name and Password, or neither.");
        }

        if (!string.IsNullOrEmpty(b.Name))
        {
            try
            {
                OperatorRules.CheckName(b.Name);
                OperatorRules.CheckPassword(b.Password);
            }
            catch (MjpkiException e)
            {
                throw new InvalidOperationException("Hotline:BootstrapSupervisor: " + e.Message, e);
            }
        }
    }
}

/// <summary>The first supervisor's account, from configuration (keep the password in a secret store, not in a file in the repository).</summary>
public sealed class BootstrapSupervisorOptions
{
    public string? Name { get; set; }

    public string? Password { get; set; }
}
