"""Synthesize the product's prompts into asterisk-conf/sounds/<language>/ (8 kHz WAV).

The shipped files were made by this script with espeak-ng; a site that records its own
voice replaces the WAV files (same names, 8 kHz 16-bit mono) and never runs this again.
Run: ``python scripts/make_prompts.py`` (needs the ``espeak-ng`` program).
"""

from __future__ import annotations

import audioop  # removed in Python 3.13; this is a maintainer's tool for 3.11/3.12
import io
import subprocess
import wave
from pathlib import Path

SOUNDS = Path(__file__).resolve().parents[1] / "asterisk-conf" / "sounds"

#: language directory -> (espeak-ng voice, {file name: text})
PROMPTS: dict[str, tuple[str, dict[str, str]]] = {
    "pt_BR": (
        "pt-br",
        {
            "atende-welcome": "Olá, obrigado por ligar.",
            "atende-menu": ("Para vendas, tecle 1. Para suporte, tecle 2. Para cobrança, tecle 3."),
            "atende-machine-message": (
                "Olá, esta é uma mensagem da nossa central de atendimento. "
                "Tentaremos falar com você novamente em breve. Obrigado."
            ),
            "atende-abandon-message": (
                "Olá, esta é uma ligação da nossa central de atendimento. "
                "Todos os atendentes estão ocupados no momento; "
                "voltaremos a ligar em breve. Obrigado."
            ),
        },
    ),
    "en": (
        "en-us",
        {
            "atende-welcome": "Hello, thank you for calling.",
            "atende-menu": "For sales, press 1. For support, press 2. For billing, press 3.",
            "atende-machine-message": (
                "Hello, this is a message from our contact center. "
                "We will try to reach you again soon. Thank you."
            ),
            "atende-abandon-message": (
                "Hello, this is a call from our contact center. "
                "All our agents are busy right now; we will call you back soon. Thank you."
            ),
        },
    ),
}


def synthesize(voice: str, text: str) -> bytes:
    """8 kHz 16-bit mono PCM of ``text`` spoken by espeak-ng's ``voice``."""
    spoken = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    with wave.open(io.BytesIO(spoken)) as source:
        frames = source.readframes(source.getnframes())
        width, channels, rate = source.getsampwidth(), source.getnchannels(), source.getframerate()
    if channels != 1:
        frames = audioop.tomono(frames, width, 0.5, 0.5)
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    frames, _ = audioop.ratecv(frames, 2, 1, rate, 8000, None)
    return frames


def main() -> None:
    for language, (voice, prompts) in PROMPTS.items():
        folder = SOUNDS / language
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in prompts.items():
            with wave.open(str(folder / f"{name}.wav"), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(8000)
                out.writeframes(synthesize(voice, text))
            print(folder / f"{name}.wav")


if __name__ == "__main__":
    main()
