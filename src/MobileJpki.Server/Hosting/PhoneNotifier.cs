using System.Collections.Concurrent;
using MobileJpki.Ra;

namespace MobileJpki.Server.Hosting;

/// <summary>Wakes the long-polls of a phone when a notice for it is stored.</summary>
public sealed class PhoneNotifier : IPhoneNotifier
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    public void Notify(string phoneId)
    {
        if (_waiters.TryRemove(phoneId, out var tcs))
        {
            tcs.TrySetResult();
        }
    }

    /// <summary>A task that completes at the next <see cref="Notify"/> for this phone.</summary>
    public Task NextAsync(string phoneId) =>
        _waiters.GetOrAdd(phoneId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}
