// Held-out prompts for the `modality` signal's evaluation (bench/modality-eval.ts). Written BEFORE the heuristic in
// src/signals/modality-detect.ts was tuned, and not used to tune it: each prompt asks for an image (DIFFUSION) or for
// text and an image together (BOTH). Text-only traffic comes from ../shared/data (alpacaeval-prompts, clinc150).

export const HELD_OUT_DIFFUSION_PROMPTS: readonly string[] = [
  'Draw a cat sitting on a windowsill at sunset',
  'Generate an image of a futuristic city skyline at night',
  'Can you make a picture of a red fox in the snow?',
  'Create an illustration of a dragon flying over mountains',
  'I need a logo for my coffee shop called Bean There',
  'Paint a watercolor landscape of rolling hills',
  'Render a 3D model of a modern kitchen',
  'Show me a photo of an astronaut riding a horse',
  'Design a poster for a jazz concert in Paris',
  'Sketch a portrait of an old fisherman',
  'make me a wallpaper with purple galaxies',
  'Produce a photorealistic image of a mountain lake',
  'generate a picture: two robots playing chess',
  'Could you create an icon for a weather app?',
  'Illustrate a children’s book page with a bear in a forest',
  'an oil painting of a lighthouse in a storm, please',
  'Give me an image of a golden retriever wearing sunglasses',
  'Create a cartoon of a penguin surfing',
  'Dessine un chat qui joue du piano',
  'Génère une image d’un château médiéval',
  'Dibuja un perro en la playa',
  'Genera una imagen de un bosque encantado',
  'Zeichne ein Haus am See',
  'Erstelle ein Bild von einem Sonnenuntergang über dem Meer',
  '画一只在月亮上的兔子',
  '生成一张赛博朋克风格的城市图片',
  'Make an avatar for my gaming profile, anime style',
  'Can you draw me a map of a fantasy kingdom?',
  'I want a pixel art sprite of a knight',
  'create a banner image for my blog about hiking',
];

export const HELD_OUT_BOTH_PROMPTS: readonly string[] = [
  'Write a short story about a lost kitten and illustrate it',
  'Explain how volcanoes work and draw a diagram of one',
  'Describe the solar system and generate an image of it',
  'Write a poem about autumn and create a picture to go with it',
  'Give me a recipe for pancakes with an illustration of the finished dish',
  'Explain photosynthesis and include an image showing the process',
  'Write a product description for a smartwatch and design a logo for it',
  'Tell me about the Eiffel Tower and draw it',
  'Écris un conte sur un dragon et illustre-le',
  'Write a blog post about Japan and generate images for it',
];

/** Text-only prompts that mention pictures, drawing or design without asking for an image to be made. */
export const HELD_OUT_TEXT_TRAPS: readonly string[] = [
  'How do I draw a conclusion from these survey results?',
  'What is the picture element count of a 4K display?',
  'Explain how image compression works in JPEG',
  'Who painted the Mona Lisa?',
  'Draw up a contract for a freelance designer',
  'What does the logo of Apple represent?',
  'Describe the plot of The Picture of Dorian Gray',
  'How do I render a React component conditionally?',
  'What are good drawing tablets for beginners?',
  'Summarise this photo essay for me in three sentences',
];
