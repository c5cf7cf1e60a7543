# Build stage: install everything, generate proto types, compile.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY scripts ./scripts
COPY proto ./proto
COPY src ./src
COPY bin ./bin
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, compiled code, the protos it loads.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
COPY --from=build /app/proto ./proto
COPY --from=build /app/examples ./examples
USER 1337:1337
EXPOSE 15010 15012 15014
ENTRYPOINT ["node", "bin/istiod-lite.js"]
CMD ["serve"]
