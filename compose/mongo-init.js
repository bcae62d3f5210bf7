// First start of the mongo container only (docker-entrypoint-initdb.d, run by
// mongosh as the root user): the posts service's user, readWrite on its own
// database and nothing else. The root user is for administration and backups.
db.getSiblingDB('posts').createUser({
  user: 'posts',
  pwd: process.env.POSTS_MONGO_PASSWORD,
  roles: [{ role: 'readWrite', db: 'posts' }],
})
