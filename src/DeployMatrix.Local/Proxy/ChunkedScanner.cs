namespace DeployMatrix.Local.Proxy;

/// <summary>
/// Follows a chunked body (RFC 9112 section 7.1) as it streams past, to find where it ends; the bytes
/// are forwarded unchanged. Feed it consecutive slices; it says how many belong to the body.
/// </summary>
public struct ChunkedScanner
{
    private State _state;
    private long _remaining;
    private int _sizeDigits;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        TrailerLine,
        TrailerLf,
        FinalLf,
        Done,
    }

    public readonly bool IsDone => _state == State.Done;

    /// <summary>Consumes bytes of the body from <paramref name="data"/>.</summary>
    /// <returns>How many bytes belong to the body (fewer than given only once it is done), or -1 when the framing is broken.</returns>
    public int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state != State.Done)
        {
            var b = data[i];
            switch (_state)
            {
                case State.Size:
                    if (HexValue(b) is var digit and >= 0)
                    {
                        if (++_sizeDigits > 15)
                        {
                            return -1;
                        }

                        _remaining = (_remaining << 4) | (uint)digit;
                    }
                    else if (_sizeDigits > 0 && b is (byte)';' or (byte)' ' or (byte)'\t')
                    {
                        _state = State.Extension;
                    }
                    else if (_sizeDigits > 0 && b == '\r')
                    {
                        _state = State.SizeLf;
                    }
                    else
                    {
                        return -1;
                    }

                    i++;
                    break;
                case State.Extension:
                    if (b == '\r')
                    {
                        _state = State.SizeLf;
                    }

                    i++;
                    break;
                case State.SizeLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = _remaining == 0 ? State.TrailerStart : State.Data;
                    i++;
                    break;
                case State.Data:
                    var take = (int)Math.Min(_remaining, data.Length - i);
                    _remaining -= take;
                    i += take;
                    if (_remaining == 0)
                    {
                        _state = State.DataCr;
                    }

                    break;
                case State.DataCr:
                    if (b != '\r')
                    {
                        return -1;
                    }

                    _state = State.DataLf;
                    i++;
                    break;
                case State.DataLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = State.Size;
                    _sizeDigits = 0;
                    i++;
                    break;
                case State.TrailerStart:
                    _state = b == '\r' ? State.FinalLf : State.TrailerLine;
                    i++;
                    break;
                case State.TrailerLine:
                    if (b == '\r')
                    {
                        _state = State.TrailerLf;
                    }

                    i++;
                    break;
                case State.TrailerLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = State.TrailerStart;
                    i++;
                    break;
                case State.FinalLf:
                    if (b != '\n')
                    {
                        return -1;
                    }

                    _state = State.Done;
                    i++;
                    break;
            }
        }

        return i;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
