#!/usr/bin/env bash
# Regenerates the caller prompts in prompts/ from the texts below with espeak-ng and sox
# (Debian packages espeak-ng and sox). Output: 16 kHz, 16-bit, mono WAV, which FreeSWITCH plays
# as is and the media engine reads directly (decimating to 8 kHz for narrowband callers).
set -euo pipefail
cd "$(dirname "$0")/../prompts"

declare -A TEXT=(
  [enter-pin]="Welcome. Please enter the meeting PIN, followed by the pound key."
  [wrong-pin]="That PIN was not recognised. Please enter the meeting PIN, followed by the pound key."
  [goodbye]="Sorry, we could not find your meeting. Goodbye."
  [please-wait]="Please wait while we connect you to the meeting."
  [lobby-wait]="The meeting has a lobby. Please wait until a moderator lets you in."
  [lobby-denied]="A moderator did not let you in to the meeting. Goodbye."
  [wrong-password]="This meeting is protected by a password. You cannot join it by phone. Goodbye."
  [room-full]="This meeting is full. Goodbye."
  [error]="Sorry, something went wrong. Please try again later. Goodbye."
  [reconnecting]="Reconnecting to the meeting. Please stay on the line."
)

for name in "${!TEXT[@]}"; do
  tmp=$(mktemp --suffix=.wav)
  espeak-ng -v en-us -s 150 -w "$tmp" "${TEXT[$name]}"
  sox "$tmp" -r 16000 -b 16 -c 1 -e signed-integer "$name.wav" norm -3
  rm -f "$tmp"
done
ls -l ./*.wav
