using DeployMatrix.State;

namespace DeployMatrix.Engine.Workspaces;

/// <summary>
/// One lock per lane and environment, so two commands never change the same target at once. An
/// operation takes it once and holds it for all it does (Kamal holds its deploy lock across build, push
/// and boot): taken again in the same workspace — a compound operation such as <c>rollout --tag</c>,
/// which deploys and then rolls out — it is already held, and only the outermost holder releases it.
/// </summary>
public sealed class LaneLocks(StateStore state, TimeProvider time, TimeSpan wait, string actor)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes the lock, waiting up to the workspace's lock wait while another process holds it.
    /// </summary>
    /// <exception cref="OperationException">Still held by another after the wait; names the holder (exit 1).</exception>
    public async Task<IDisposable> AcquireAsync(string lane, string env, string action, CancellationToken cancellationToken)
    {
        var scope = $"{lane}/{env}";
        lock (_held)
        {
            if (_held.TryGetValue(scope, out var depth))
            {
                _held[scope] = depth + 1;
                return new Held(this, scope);
            }
        }

        var holder = $"{actor} {action} {lane} --env {env}";
        var deadline = time.GetUtcNow() + wait;
        string? heldBy;
        while ((heldBy = state.TryLock(scope, holder)) is not null)
        {
            if (time.GetUtcNow() >= deadline)
            {
                throw new OperationException($"{lane} in {env} is locked by {heldBy}; wait for it to finish and try again");
            }

            await Task.Delay(Poll, time, cancellationToken);
        }

        lock (_held)
        {
            _held[scope] = 1;
        }

        return new Held(this, scope);
    }

    /// <summary>Whether this workspace holds the lock of a lane in an environment.</summary>
    public bool Holds(string lane, string env)
    {
        lock (_held)
        {
            return _held.ContainsKey($"{lane}/{env}");
        }
    }

    private void Release(string scope)
    {
        lock (_held)
        {
            if (--_held[scope] > 0)
            {
                return;
            }

            _held.Remove(scope);
        }

        state.Unlock(scope);
    }

    private sealed class Held(LaneLocks owner, string scope) : IDisposable
    {
        private bool _released;

        public void Dispose()
        {
            if (!_released)
            {
                _released = true;
                owner.Release(scope);
            }
        }
    }
}
